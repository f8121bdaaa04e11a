import 'reflect-metadata';
import { Container, ContainerModule } from 'inversify';
import { coreModule, UsageError } from '@restorelab/core';
import { strategiesModule } from '@restorelab/strategies';
import { simBackendModule } from '@restorelab/backend-sim';
import { linuxBackendModule, LinuxPageSource, LinuxPlacement, PageSourceOptions, Placement } from '@restorelab/backend-linux';
import { loadPlugin } from './plugins/load-plugin';
import { costModelModule } from './cost-model';

export interface ContainerOptions {
  /** Plugin files, directories or package names (`--plugin`). */
  readonly plugins?: readonly string[];
  /** A JSON cost model for the simulator (`--cost-model`). */
  readonly costModelFile?: string;
  /** Where the linux backend runs the restore (`--placement`). */
  readonly placement?: Placement;
  /** Where the linux backend's copies read pages (`--source`; default the local pages file). */
  readonly source?: PageSourceOptions;
}

/** The application container: core, built-in strategies, both backends, then the plugins. */
export async function createContainer(opts: ContainerOptions = {}): Promise<Container> {
  const container = new Container();
  await container.load(coreModule, strategiesModule, simBackendModule, linuxBackendModule);
  if (opts.costModelFile) await container.load(costModelModule(opts.costModelFile));
  const placement = opts.placement;
  if (placement) await container.load(new ContainerModule(({ rebindSync }) => void rebindSync<Placement>(LinuxPlacement).toConstantValue(placement)));
  const source = opts.source;
  if (source) await container.load(new ContainerModule(({ rebindSync }) => void rebindSync<PageSourceOptions | null>(LinuxPageSource).toConstantValue(source)));
  for (const spec of opts.plugins ?? []) {
    const plugin = loadPlugin(spec);
    for (const m of plugin.modules) await loadModule(container, m, plugin.file);
  }
  return container;
}

async function loadModule(container: Container, m: ContainerModule, file: string): Promise<void> {
  try {
    await container.load(m);
  } catch (e) {
    throw new UsageError(`plugin ${file}: its ContainerModule failed to load: ${e instanceof Error ? e.message : String(e)}`);
  }
}
