import { simMetrics, simRun } from '../support/sim';

describe('neighbor-prefetch on the simulator', () => {
  it('window 16 on a sequential scan of 65536 pages: at most one fault per 16 pages', async () => {
    const r = await simRun('seq:pages=65536', 'neighbor-prefetch:window=16');
    expect(r.verified).toBe(true);
    expect(r.metrics.demandFaults).toBeLessThanOrEqual(65536 / 16);
    expect(r.metrics.demandFaults).toBeGreaterThan(0);
    expect(r.metrics.pagesCopied.prefetch + r.metrics.pagesCopied.demand).toBe(65536);
  });

  it('direction=both also copies the pages below the faulting one', async () => {
    const fwd = await simMetrics('uniform:pages=4096,accesses=20000', 'neighbor-prefetch:window=16');
    const both = await simMetrics('uniform:pages=4096,accesses=20000', 'neighbor-prefetch:window=16,direction=both');
    expect(both.pagesCopied.prefetch).toBeGreaterThan(fwd.pagesCopied.prefetch);
    expect(both.demandFaults).toBeLessThan(fwd.demandFaults);
  });
});
