import { ContainerModule } from 'inversify';
import { RestoreBackend } from '@restorelab/core';
import { LinuxBackend } from './linux-backend';

/** Contributes the linux backend to core's backend registry. */
export const linuxBackendModule = new ContainerModule(({ bind }) => {
  bind<RestoreBackend>(RestoreBackend).toConstantValue(new LinuxBackend());
});
