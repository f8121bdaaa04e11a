import { ContainerModule } from 'inversify';
import { BackendRegistry, DefaultBackendRegistry } from './backend/backend-registry';
import { RestoreBackend } from './backend/restore-backend';
import { StrategyContribution } from './strategy/strategy';
import { DefaultStrategyRegistry, StrategyRegistry } from './strategy/strategy-registry';
import { builtInWorkloads } from './workloads/built-in-workloads';
import { fileWorkloads } from './file-workloads/file-workloads';
import { WorkloadContribution } from './workloads/workload-contribution';
import { DefaultWorkloadRegistry, WorkloadRegistry } from './workloads/workload-registry';
import { contributionProviderFor } from './di/contribution-provider';

/** Registries over the contribution points, and the built-in workloads. */
export const coreModule = new ContainerModule(({ bind }) => {
  bind<StrategyRegistry>(StrategyRegistry)
    .toDynamicValue((ctx) => new DefaultStrategyRegistry(contributionProviderFor(ctx, StrategyContribution)))
    .inSingletonScope();
  bind<WorkloadRegistry>(WorkloadRegistry)
    .toDynamicValue((ctx) => new DefaultWorkloadRegistry(contributionProviderFor(ctx, WorkloadContribution)))
    .inSingletonScope();
  bind<BackendRegistry>(BackendRegistry)
    .toDynamicValue((ctx) => new DefaultBackendRegistry(contributionProviderFor(ctx, RestoreBackend)))
    .inSingletonScope();
  for (const w of [...builtInWorkloads, ...fileWorkloads]) bind<WorkloadContribution>(WorkloadContribution).toConstantValue(w);
});
