import { ContainerModule } from 'inversify';
import { RestoreBackend } from '@restorelab/core';
import { CostModel, defaultCostModel, SimCostModel } from './cost-model';
import { SimBackend } from './sim-backend';

/** Binds the simulator backend; rebind SimCostModel to change its cost model. */
export const simBackendModule = new ContainerModule(({ bind }) => {
  bind<CostModel>(SimCostModel).toConstantValue(defaultCostModel);
  bind<RestoreBackend>(RestoreBackend)
    .toDynamicValue((ctx) => new SimBackend(ctx.get<CostModel>(SimCostModel)))
    .inSingletonScope();
});
