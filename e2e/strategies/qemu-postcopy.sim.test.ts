import { simMetrics, simRun } from '../support/sim';

const ZIPF = 'zipf:pages=8192,accesses=200000';

describe('qemu-postcopy on the simulator', () => {
  it('restores every page, with fewer faults than demand-only', async () => {
    const base = await simMetrics(ZIPF, 'demand-only');
    const qemu = await simRun(ZIPF, 'qemu-postcopy');
    expect(qemu.verified).toBe(true);
    expect(qemu.metrics.unrestoredPages).toBe(0);
    expect(qemu.metrics.demandFaults).toBeLessThan(base.demandFaults);
  });

  it('on a sequential scan most pages arrive by the stream', async () => {
    const base = await simMetrics('seq:pages=16384', 'demand-only');
    const qemu = await simRun('seq:pages=16384', 'qemu-postcopy');
    expect(qemu.verified).toBe(true);
    // most: fewer than half the pages fault (about 30% with the measured ~145 us decision latency)
    expect(qemu.metrics.demandFaults).toBeLessThan(0.5 * base.demandFaults);
  });
});
