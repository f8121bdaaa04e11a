import { simMetrics, simRun } from '../support/sim';

// Long enough for the background push to finish; zipf leaves some pages untouched.
const ZIPF = 'zipf:pages=8192,accesses=200000';

describe('criu-lazy on the simulator', () => {
  it('restores every page, with fewer faults than demand-only', async () => {
    const base = await simMetrics(ZIPF, 'demand-only');
    expect(base.unrestoredPages).toBeGreaterThan(0);
    const criu = await simRun(ZIPF, 'criu-lazy');
    expect(criu.verified).toBe(true);
    expect(criu.metrics.unrestoredPages).toBe(0);
    expect(criu.metrics.demandFaults).toBeLessThan(base.demandFaults);
    expect(criu.metrics.pagesCopied.background).toBeGreaterThan(0);
    expect(criu.metrics.pagesCopied.prefetch).toBe(0);
  });
});
