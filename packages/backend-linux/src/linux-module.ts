import { ContainerModule } from 'inversify';
import { RestoreBackend } from '@restorelab/core';
import { LinuxBackend } from './linux-backend';
import { DEFAULT_PLACEMENT, Placement } from './placement';
import { PageSourceOptions } from './page-server/page-source';

/** Rebind this to run the linux backend with another placement (the CLI's --placement). */
export const LinuxPlacement = Symbol('LinuxPlacement');
/** Rebind this to read the linux backend's pages from a page server (the CLI's --source); null: the local pages file. */
export const LinuxPageSource = Symbol('LinuxPageSource');

/** Contributes the linux backend to core's backend registry. */
export const linuxBackendModule = new ContainerModule(({ bind }) => {
  bind<Placement>(LinuxPlacement).toConstantValue(DEFAULT_PLACEMENT);
  bind<PageSourceOptions | null>(LinuxPageSource).toConstantValue(null);
  bind<RestoreBackend>(RestoreBackend)
    .toDynamicValue((ctx) => new LinuxBackend({ placement: ctx.get<Placement>(LinuxPlacement), source: ctx.get<PageSourceOptions | null>(LinuxPageSource) }))
    .inSingletonScope();
});
