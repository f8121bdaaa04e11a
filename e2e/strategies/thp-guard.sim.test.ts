import { simMetrics, simRun } from '../support/sim';

describe('thp-guard on the simulator', () => {
  it('seed 001: without the guard the collapsed holes mismatch; with it every page verifies', async () => {
    const bare = await simMetrics('thp-predump', 'demand-only');
    expect(bare.mismatchedPages).toBeGreaterThan(0);
    const guarded = await simRun('thp-predump', 'thp-guard');
    expect(guarded.verified).toBe(true);
    expect(guarded.metrics.mismatchedPages).toBe(0);
    expect(guarded.metrics.unrestoredPages).toBe(0);
  });
});
