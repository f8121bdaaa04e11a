import 'reflect-metadata';
import { Container } from 'inversify';
import { BackendRegistry, coreModule, StrategyRegistry, WorkloadRegistry } from '@restorelab/core';
import { strategiesModule } from '@restorelab/strategies';
import { simBackendModule } from '@restorelab/backend-sim';
import { ExperimentRegistries } from '../expand-experiment';

/** core + built-in strategies + the simulator: enough to expand and run experiments in-process. */
export async function simContainer(): Promise<Container> {
  const c = new Container();
  await c.load(coreModule, strategiesModule, simBackendModule);
  return c;
}

export function registriesOf(c: Container): ExperimentRegistries {
  return {
    workloads: c.get<WorkloadRegistry>(WorkloadRegistry),
    strategies: c.get<StrategyRegistry>(StrategyRegistry),
    backends: c.get<BackendRegistry>(BackendRegistry),
  };
}
