import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { simMetrics, simRun } from '../support/sim';

// The default hotcold: a stable hot set of 20% of the pages takes 99.5% of the accesses, the
// situation the source-side profile can predict.
const HOTCOLD = 'hotcold';
const HOT_PAGES = Math.round(0.2 * 16384);

describe('hot-first-precopy on the simulator', () => {
  it('cuts the stall of a hot/cold workload to a fifth of demand-only', async () => {
    const base = await simMetrics(HOTCOLD, 'demand-only');
    const hot = await simRun(HOTCOLD, 'hot-first-precopy');
    expect(hot.verified).toBe(true);
    // the budget (a quarter of the pages) holds the whole hot set plus the cold pages the source phase saw
    expect(hot.metrics.pagesCopied.precopy).toBeGreaterThanOrEqual(HOT_PAGES);
    expect(hot.metrics.pagesCopied.precopy).toBeLessThanOrEqual(4096);
    expect(hot.metrics.stallNs).toBeLessThanOrEqual(0.2 * base.stallNs);
  });

  it("replays a previous run's faults (REAP): nothing faults the second time", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hot-first-sim-'));
    try {
      const w = 'zipf:pages=4096,accesses=20000';
      const log = join(dir, 'record.rlog');
      const record = await simRun(w, 'demand-only', log);
      const replay = await simRun(w, `hot-first-precopy:profile=${log},budget=1000000`);
      expect(replay.verified).toBe(true);
      expect(replay.metrics.pagesCopied.precopy).toBe(record.metrics.demandFaults);
      expect(replay.metrics.demandFaults).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
