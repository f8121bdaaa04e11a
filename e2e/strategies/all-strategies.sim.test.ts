import { builtInWorkloadNames, simRun, strategyNames } from '../support/sim';

/** Small sizes: the point is correctness of every pair, not performance. */
const SIZE: Record<string, string> = {
  'thp-predump': 'pages=2048',
  forktree: 'pages=1024,procs=3',
};
const spec = (w: string) => `${w}:${SIZE[w] ?? 'pages=2048,accesses=8000'}`;

/** Pairs whose strategy refuses the image at plan time (detached, one failure): the restore goes on without it. */
const REFUSES = new Set(['forktree hybrid-precopy', 'hugetlb hybrid-precopy']);

const cases = builtInWorkloadNames().flatMap((w) =>
  strategyNames().map((s) => {
    // seed 001: on thp-predump only a stack with thp-guard can verify
    const stack = w === 'thp-predump' && s !== 'thp-guard' ? `thp-guard,${s}` : s;
    return [spec(w), stack] as const;
  }),
);

describe('every built-in strategy on every built-in workload', () => {
  it('covers every workload and strategy', () => {
    expect(cases.length).toBe(builtInWorkloadNames().length * strategyNames().length);
    expect(cases.length).toBeGreaterThanOrEqual(8 * 9);
  });

  it.each(cases)('%s with %s verifies', async (w, stack) => {
    const r = await simRun(w, stack);
    expect(r.metrics.strategyFailures).toBe(REFUSES.has(`${w.split(':')[0]} ${stack}`) ? 1 : 0);
    expect(r.metrics.mismatchedPages).toBe(0);
    expect(r.verified).toBe(true);
  });
});
