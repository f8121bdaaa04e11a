import { ContainerModule } from 'inversify';
import { RestoreBackend } from '@restorelab/core';
import { LinuxBackend } from './linux-backend';
import { DEFAULT_PLACEMENT, Placement } from './placement';

/** Rebind this to run the linux backend with another placement (the CLI's --placement). */
export const LinuxPlacement = Symbol('LinuxPlacement');

/** Contributes the linux backend to core's backend registry. */
export const linuxBackendModule = new ContainerModule(({ bind }) => {
  bind<Placement>(LinuxPlacement).toConstantValue(DEFAULT_PLACEMENT);
  bind<RestoreBackend>(RestoreBackend)
    .toDynamicValue((ctx) => new LinuxBackend({ placement: ctx.get<Placement>(LinuxPlacement) }))
    .inSingletonScope();
});
