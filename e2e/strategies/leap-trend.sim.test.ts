import { simMetrics, simRun } from '../support/sim';

describe('leap-trend on the simulator', () => {
  it.each(['stride:pages=65536', 'seq:pages=65536'])('%s: far fewer faults than demand-only', async (w) => {
    const base = await simMetrics(w, 'demand-only');
    const leap = await simRun(w, 'leap-trend');
    expect(leap.verified).toBe(true);
    expect(leap.metrics.demandFaults).toBeLessThan(0.5 * base.demandFaults);
  });

  it('prefetches nothing where there is no trend', async () => {
    const leap = await simMetrics('uniform:pages=4096,accesses=20000', 'leap-trend');
    const base = await simMetrics('uniform:pages=4096,accesses=20000', 'demand-only');
    expect(leap.pagesCopied.prefetch).toBe(0);
    expect(leap.demandFaults).toBe(base.demandFaults);
  });
});
