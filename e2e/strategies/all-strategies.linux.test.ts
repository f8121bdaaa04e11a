import { coreModule, runRestore, StrategyRegistry, WorkloadRegistry } from '@restorelab/core';
import { LinuxBackend, linuxUnavailableReason } from '@restorelab/backend-linux';
import { Container } from 'inversify';
import { strategiesModule } from '@restorelab/strategies';

const skip = linuxUnavailableReason();
if (skip) console.warn(`linux runs of every strategy skipped: ${skip}`);
const linuxIt = skip ? it.skip : it;

const container = new Container();
container.loadSync(coreModule, strategiesModule);
const strategies = container.get<StrategyRegistry>(StrategyRegistry);
const workloads = container.get<WorkloadRegistry>(WorkloadRegistry);

/** Small sizes: the point is that real memory matches the image for every pair. */
const SIZE: Record<string, string> = {
  'thp-predump': 'pages=1024',
  forktree: 'pages=512,procs=3',
};
const spec = (w: string) => `${w}:${SIZE[w] ?? 'pages=1024,accesses=4000'}`;

/** Pairs whose strategy refuses the image at plan time (detached, one failure): the restore goes on without it. */
const REFUSES = new Set(['forktree hybrid-precopy', 'hugetlb hybrid-precopy']);

const generators = workloads.all().filter((w) => w.kind !== 'file');
const cases = generators.flatMap((w) =>
  strategies.all().map((s) => {
    // seed 001: on thp-predump only a stack with thp-guard can verify
    const stack = w.name === 'thp-predump' && s.name !== 'thp-guard' ? `thp-guard,${s.name}` : s.name;
    return [spec(w.name), stack] as const;
  }),
);

describe('every built-in strategy on every built-in workload, on real userfaultfd', () => {
  it('covers every workload and strategy', () => {
    expect(cases.length).toBe(generators.length * strategies.all().length);
  });

  linuxIt.each(cases)('%s with %s verifies page by page', async (w, stack) => {
    const { result } = await runRestore({
      backend: new LinuxBackend(),
      workload: workloads.create(w),
      strategy: stack,
      strategies: strategies.instantiate(stack),
      seed: 1,
      logPath: null,
    });
    expect(result.metrics.strategyFailures).toBe(REFUSES.has(`${w.split(':')[0]} ${stack}`) ? 1 : 0);
    expect(result.metrics.mismatchedPages).toBe(0);
    expect(result.metrics.verifiedPages).toBeGreaterThan(0);
    expect(result.verified).toBe(true);
  });
});
