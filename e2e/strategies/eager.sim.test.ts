import { simRun } from '../support/sim';

describe('eager on the simulator', () => {
  it.each(['seq:pages=8192', 'zipf:pages=8192,accesses=20000', 'forktree:pages=2048,procs=3'])('%s: no demand fault, everything precopied', async (w) => {
    const r = await simRun(w, 'eager');
    expect(r.verified).toBe(true);
    expect(r.metrics.demandFaults).toBe(0);
    expect(r.metrics.unrestoredPages).toBe(0);
    expect(r.metrics.pagesCopied.demand).toBe(0);
  });
});
