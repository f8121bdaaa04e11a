import { simMetrics, simRun } from '../support/sim';

const FORKTREE = 'forktree:procs=4,sharedFraction=0.75';

describe('cow-aware on the simulator', () => {
  it('keeps fork-shared pages shared: at most half the PSS of demand-only', async () => {
    const base = await simMetrics(FORKTREE, 'demand-only');
    const cow = await simRun(FORKTREE, 'cow-aware');
    expect(cow.verified).toBe(true);
    expect(cow.metrics.pssBytes).toBeLessThanOrEqual(0.5 * base.pssBytes);
    expect(cow.metrics.demandFaults).toBeLessThan(base.demandFaults);
  });
});
