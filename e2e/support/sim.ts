import { coreModule, runRestore, RunMetrics, RunResult, StrategyRegistry, WorkloadRegistry } from '@restorelab/core';
import { SimBackend } from '@restorelab/backend-sim';
import { Container } from 'inversify';
import { strategiesModule } from '@restorelab/strategies';

const container = new Container();
container.loadSync(coreModule, strategiesModule);
const strategies = container.get<StrategyRegistry>(StrategyRegistry);
const workloads = container.get<WorkloadRegistry>(WorkloadRegistry);
const cache = new Map<string, Promise<RunResult>>();

/** One run on the simulator (memoized per workload and stack), seed 1, no log file unless asked. */
export function simRun(workload: string, stack: string, logPath: string | null = null): Promise<RunResult> {
  const key = `${workload}|${stack}|${logPath}`;
  let r = cache.get(key);
  if (!r) {
    r = runRestore({
      backend: new SimBackend(),
      workload: workloads.create(workload),
      strategy: stack,
      strategies: strategies.instantiate(stack),
      seed: 1,
      logPath,
    }).then((o) => o.result);
    cache.set(key, r);
  }
  return r;
}

export async function simMetrics(workload: string, stack: string): Promise<RunMetrics> {
  return (await simRun(workload, stack)).metrics;
}

/** The generators (image: and trace: read files and are tested on their own). */
export const builtInWorkloadNames = (): string[] => workloads.all().filter((w) => w.kind !== 'file').map((w) => w.name);
export const strategyNames = (): string[] => strategies.all().map((s) => s.name);
