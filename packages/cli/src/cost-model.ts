import { ContainerModule } from 'inversify';
import { CostModel, loadCostModel, SimCostModel } from '@restorelab/backend-sim';

/** Rebinds the simulator's cost model to the one in `file` (read and checked now: UsageError). */
export function costModelModule(file: string): ContainerModule {
  const model: CostModel = loadCostModel(file);
  return new ContainerModule(({ rebindSync }) => {
    rebindSync<CostModel>(SimCostModel).toConstantValue(model);
  });
}
