import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CopyCause, CopyPriority, EventKind, FaultFlag, PrefillSource, RejectReason, SwitchReason } from '../events/event-kind';
import { readEventLog } from '../events/event-log-reader';
import { EventLogWriter } from '../events/event-log-writer';
import { EventStore } from '../events/event-store';
import { computeMetrics, isVerified } from './compute-metrics';
import { RunMeta } from '../events/run-meta';
import { RunMetrics } from './run-metrics';

const K = EventKind;

const meta: RunMeta = {
  format: 'restorelab-log',
  version: 1,
  backend: 'test',
  workload: 'hand-made',
  strategy: 'neighbor-prefetch',
  seed: 0,
  pageSize: 4096,
  processes: 2,
  totalPages: 32,
};

/** A hand-made two-process run whose every metric can be checked by hand (see the comments). */
function handRun(store: EventStore): void {
  const e = (kind: number, t: number, pid: number, a = 0, b = 0, c = 0, d = 0) => store.append(kind, t, pid, a, b, c, d);
  e(K.RestoreStarted, 100, 0, 26, 2, 32);
  e(K.StrategyAttached, 100, 0, store.intern('neighbor-prefetch'));
  e(K.PagesPrefilled, 110, 1, 0, 2, PrefillSource.Image);
  e(K.PagesPrefilled, 111, 1, 2, 1, PrefillSource.Strategy);
  e(K.ProcessForked, 112, 1, 2);
  e(K.PagesPrefilled, 113, 2, 0, 1, PrefillSource.Inherited);
  e(K.VmaRegistered, 120, 1, 0, 0, 16, 1);
  e(K.VmaRegistered, 121, 2, 0, 0, 16, 1);
  e(K.PagesCopied, 130, 1, 3, 2, CopyCause.Precopy, 1);
  e(K.WorkloadStarted, 200, 1, 10);
  e(K.WorkloadStarted, 210, 2, 5);
  e(K.CopyQueued, 220, 1, 8, 4, CopyCause.Prefetch, CopyPriority.Prefetch);
  // page 9 is in flight: a late prefetch, served as a demand fault
  e(K.FaultRaised, 230, 1, 9, 101, 0);
  e(K.PagesCopied, 231, 1, 9, 1, CopyCause.Demand, 1);
  e(K.FaultResolved, 240, 1, 9, 10.4);
  e(K.PagesCopied, 250, 1, 8, 1, CopyCause.Prefetch, 1);
  e(K.CopyRejected, 250, 1, 9, 1, RejectReason.Eexist, CopyCause.Prefetch);
  e(K.PagesCopied, 251, 1, 10, 2, CopyCause.Prefetch, 1);
  e(K.FaultRaised, 260, 1, 5, 101, FaultFlag.Write);
  e(K.ZeroPageMapped, 261, 1, 5, 1);
  e(K.FaultResolved, 262, 1, 5, 2);
  e(K.CopyRejected, 270, 1, 0, 3, RejectReason.Duplicate, CopyCause.Prefetch);
  e(K.CopyRejected, 271, 1, -1, 99, RejectReason.OutOfRange, CopyCause.Prefetch);
  // a write-protect fault is not a missing-page fault, but its latency is a stall
  e(K.FaultRaised, 280, 2, 4, 102, FaultFlag.WriteProtect);
  e(K.FaultResolved, 285, 2, 4, 30);
  e(K.FaultRaised, 290, 2, 6, 102, 0);
  e(K.PagesCopied, 291, 2, 5, 1, CopyCause.Prefetch, 0);
  e(K.PagesCopied, 291, 2, 6, 1, CopyCause.Demand, 1);
  e(K.PagesCopied, 291, 2, 7, 2, CopyCause.Prefetch, 0);
  e(K.FaultResolved, 300, 2, 6, 20);
  e(K.StrategyFailed, 310, 0, store.intern('neighbor-prefetch'), store.intern('boom'), 0);
  e(K.HugePageCollapsed, 900, 2, 0, 12, 4);
  e(K.WorkloadEnded, 1000, 1, 10);
  e(K.PagesTouched, 1000, 1, 0, 4);
  e(K.PagesTouched, 1000, 1, 8, 3);
  e(K.PagesTouched, 1000, 1, 5, 1);
  e(K.MemorySampled, 1000, 1, 40960, 30000, 0);
  e(K.MemorySampled, 1001, 1, 49152, 32768, 0);
  e(K.PagesVerified, 1002, 1, 12, 0, 3);
  e(K.WorkloadEnded, 1500, 2, 5);
  e(K.PagesTouched, 1500, 2, 0, 1);
  e(K.PagesTouched, 1500, 2, 6, 2);
  e(K.MemorySampled, 1500, 2, 8192, 4096, 0);
  e(K.PagesVerified, 1501, 2, 5, 0, 7);
  e(K.RestoreEnded, 1600, 0);
}

describe('computeMetrics', () => {
  it('computes every metric of a hand-made run', () => {
    const store = new EventStore();
    handRun(store);
    const m = computeMetrics(store);
    const expected: RunMetrics = {
      demandFaults: 3,
      latePrefetches: 1,
      stallNs: 0, // no FaultStalled in this log
      stallLatencyNs: { p50: 0, p90: 0, p99: 0, max: 0 },
      serverStallNs: 62, // 10.4 + 2 + 30 + 20
      faultLatencyNs: { p50: 10, p90: 30, p99: 30, max: 30 },
      decisions: 0,
      decisionLatencyNs: { p50: 0, p90: 0, p99: 0, max: 0 },
      restoreNs: 800, // the collapse at 900 is the last page made present; start 100
      workloadNs: 1290, // pid 2: 1500 - 210
      pagesCopied: { demand: 2, prefetch: 6, precopy: 2, background: 0 },
      bytesCopied: { demand: 2 * 4096, prefetch: 6 * 4096, precopy: 2 * 4096, background: 0 },
      copyCalls: 5,
      zeroPages: 1,
      prefilledPages: 4,
      duplicateCopies: 4, // 1 EEXIST + 3 duplicate; out-of-range is not a duplicate
      // strategy-copied: pid 1 {3,4,8,10,11}, pid 2 {5,7,8}; touched among them: {3,8,10} and {7}
      prefetchAccuracy: 4 / 8,
      // made present by a strategy and touched: pid 1 {2,3,8,10}, pid 2 {0,7} = 6 avoided, 3 demand faults
      coverage: 6 / 9,
      unrestoredPages: 10,
      rssBytes: 49152 + 8192,
      pssBytes: 32768 + 4096,
      mismatchedPages: 0,
      verifiedPages: 17,
      strategyFailures: 1,
      events: 45,
      downtimeNs: 100, // the first WorkloadStarted, 200, after the start; no switch-over
      transferPages: 13, // 10 copied pages of every cause, 3 prefilled from the image or the strategy (not the inherited one)
      precopy: null,
    };
    expect(m).toEqual(expected);
    expect(Object.keys(m)).toEqual(Object.keys(expected));
    expect(isVerified(store, m)).toBe(true);
  });

  it('sums pre-copy rounds into the transfer, takes downtime from the switch-over, and stops crediting discarded pages', () => {
    const store = new EventStore();
    const e = (kind: number, t: number, pid: number, a = 0, b = 0, c = 0, d = 0) => store.append(kind, t, pid, a, b, c, d);
    e(K.RestoreStarted, 0, 0, 16, 1, 16);
    e(K.PagesPrefilled, 50, 1, 0, 16, PrefillSource.PrecopyRound);
    e(K.PrecopyRound, 50, 1, 1, 16, 6, 50);
    e(K.PrecopyRound, 70, 1, 2, 6, 3, 15);
    e(K.PrecopyRound, 80, 1, 3, 3, 3, 8);
    e(K.SwitchOver, 100, 1, 3, 2, SwitchReason.NotShrinking, 1.5);
    e(K.PagesDiscarded, 101, 1, 4, 2);
    e(K.VmaRegistered, 110, 1, 0, 0, 16, 1);
    e(K.WorkloadStarted, 130, 1, 4);
    e(K.FaultRaised, 140, 1, 4, 101, 0);
    e(K.PagesCopied, 141, 1, 4, 2, CopyCause.Demand, 1);
    e(K.FaultResolved, 142, 1, 4, 2);
    e(K.WorkloadEnded, 200, 1, 4);
    e(K.PagesTouched, 200, 1, 0, 8);
    e(K.PagesVerified, 201, 1, 16, 0, 3);
    e(K.RestoreEnded, 210, 0);
    const m = computeMetrics(store);
    expect(m.precopy).toEqual({ rounds: 3, sentPages: 25, dirtyPages: [6, 3, 3], discardedPages: 2, switchReason: 'not-shrinking', sourcePasses: 1.5 });
    expect(m.transferPages).toBe(27); // 16 + 6 + 3 sent by the rounds, 2 copied after the switch-over
    expect(m.downtimeNs).toBe(30);
    expect(m.prefilledPages).toBe(16);
    // touched 0..7: six were there from the rounds; 4 and 5 were dropped and faulted
    expect(m.coverage).toBe(6 / 7);
    expect(m.demandFaults).toBe(1);
  });

  it('gives zeros and nulls for an empty log, and does not call it verified', () => {
    const store = new EventStore();
    const m = computeMetrics(store);
    expect(m.faultLatencyNs).toEqual({ p50: 0, p90: 0, p99: 0, max: 0 });
    expect([m.demandFaults, m.stallNs, m.restoreNs, m.workloadNs, m.events]).toEqual([0, 0, 0, 0, 0]);
    expect(m.prefetchAccuracy).toBeNull();
    expect(m.coverage).toBeNull();
    expect(isVerified(store, m)).toBe(false);
  });

  it('tracks in-flight pages: EEXIST ends a copy, a duplicate request does not', () => {
    const store = new EventStore();
    const e = (kind: number, pid: number, a = 0, b = 0, c = 0, d = 0) => store.append(kind, store.length, pid, a, b, c, d);
    e(K.VmaRegistered, 3, 0, 0, 64, 1);
    e(K.CopyQueued, 3, 20, 2, CopyCause.Prefetch, CopyPriority.Prefetch);
    e(K.CopyRejected, 3, 20, 2, RejectReason.Eexist, CopyCause.Prefetch);
    e(K.FaultRaised, 3, 20, 1, 0); // no longer in flight
    e(K.CopyQueued, 3, 30, 1, CopyCause.Background, CopyPriority.Background);
    e(K.CopyRejected, 3, 30, 1, RejectReason.Duplicate, CopyCause.Background);
    e(K.FaultRaised, 3, 30, 1, 0); // still in flight: late
    e(K.CopyQueued, 3, 40, 1, CopyCause.Prefetch, CopyPriority.Prefetch);
    e(K.PagesCopied, 3, 40, 1, CopyCause.Prefetch, 1);
    e(K.FaultRaised, 4, 40, 1, 0); // another pid's page 40: not in flight
    e(K.CopyQueued, 3, 5000, 2, CopyCause.Prefetch, CopyPriority.Prefetch); // beyond the registered size: grows
    e(K.FaultRaised, 3, 5001, 1, 0);
    e(K.FaultRaised, 3, 1 << 20, 1, 0); // far beyond anything: not in flight, no growth needed
    const m = computeMetrics(store);
    expect(m.demandFaults).toBe(5);
    expect(m.latePrefetches).toBe(2);
    expect(m.duplicateCopies).toBe(3);
    expect(m.coverage).toBe(0);
    expect(m.prefetchAccuracy).toBe(0);
  });

  it('takes the stall from what the processes waited (FaultStalled), the server view from FaultResolved', () => {
    const store = new EventStore();
    const e = (kind: number, pid: number, a = 0, b = 0) => store.append(kind, store.length, pid, a, b, 0, 0);
    e(K.FaultResolved, 1, 3, 2000);
    e(K.FaultResolved, 1, 4, 3000);
    e(K.FaultStalled, 1, 3, 9000);
    e(K.FaultStalled, 1, 4, 11000);
    e(K.FaultStalled, 2, 0, 40000);
    const m = computeMetrics(store);
    expect([m.stallNs, m.serverStallNs]).toEqual([60000, 5000]);
    expect(m.stallLatencyNs).toEqual({ p50: 11000, p90: 40000, p99: 40000, max: 40000 });
    expect(m.faultLatencyNs).toEqual({ p50: 2000, p90: 3000, p99: 3000, max: 3000 });
  });

  it('measures decision latency from the event a landed command reacted to', () => {
    const store = new EventStore();
    const e = (kind: number, t: number, a = 0, b = 0, c = 0, d = 0) => store.append(kind, t, 1, a, b, c, d);
    const f1 = e(K.FaultRaised, 1000, 10, 1, 0);
    const q1 = e(K.CopyQueued, 1500, 11, 1, CopyCause.Prefetch, CopyPriority.Prefetch);
    e(K.CopyLanded, 3000, 11, 1, f1, q1); // 2000 after its fault
    const f2 = e(K.FaultRaised, 4000, 20, 1, 0);
    const q2 = e(K.CopyQueued, 4100, 21, 1, CopyCause.Prefetch, CopyPriority.Prefetch);
    e(K.CopyLanded, 4500, 21, 1, f2, q2); // 500
    const q3 = e(K.CopyQueued, 4600, 30, 1, CopyCause.Background, CopyPriority.Background);
    e(K.CopyLanded, 4700, 30, 1, -1, q3); // reacted to nothing: counted, no latency
    const m = computeMetrics(store);
    expect(m.decisions).toBe(3);
    expect(m.decisionLatencyNs).toEqual({ p50: 500, p90: 2000, p99: 2000, max: 2000 });
  });

  it('uses nearest-rank percentiles', () => {
    const store = new EventStore();
    // latencies 1..200 in a scrambled order
    for (let i = 0; i < 200; i++) store.append(K.FaultResolved, i, 1, i, ((i * 73) % 200) + 1, 0, 0);
    const m = computeMetrics(store);
    expect(m.faultLatencyNs).toEqual({ p50: 100, p90: 180, p99: 198, max: 200 });
    expect(m.serverStallNs).toBe((200 * 201) / 2);
  });

  it('agrees with a full sort on random latencies full of duplicates', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const n of [1, 2, 3, 10, 99, 100, 101, 1000, 4097]) {
      const store = new EventStore();
      const values: number[] = [];
      for (let i = 0; i < n; i++) {
        const v = i % 3 === 0 ? 12_000 : Math.floor(rand() * 50) * 100 + (rand() < 0.1 ? 0.25 : 0);
        values.push(v);
        store.append(K.FaultResolved, i, 1, i, v, 0, 0);
      }
      values.sort((x, y) => x - y);
      const at = (p: number) => Math.round(values[Math.ceil((p * n) / 100) - 1]);
      expect(computeMetrics(store).faultLatencyNs).toEqual({ p50: at(50), p90: at(90), p99: at(99), max: Math.round(values[n - 1]) });
    }
  });

  it('verifies only when every started process has its PagesVerified and nothing mismatched', () => {
    const verdict = (edit: (e: (kind: number, pid: number, a?: number, b?: number, c?: number) => void) => void) => {
      const store = new EventStore();
      const e = (kind: number, pid: number, a = 0, b = 0, c = 0) => store.append(kind, store.length, pid, a, b, c, 0);
      edit(e);
      return isVerified(store, computeMetrics(store));
    };
    expect(
      verdict((e) => {
        e(K.RestoreStarted, 0, 0, 2);
        e(K.WorkloadStarted, 1);
        e(K.WorkloadStarted, 2);
        e(K.PagesVerified, 1, 10, 0);
        e(K.PagesVerified, 2, 10, 0);
      }),
    ).toBe(true);
    expect(
      verdict((e) => {
        e(K.RestoreStarted, 0, 0, 2);
        e(K.WorkloadStarted, 1);
        e(K.WorkloadStarted, 2);
        e(K.PagesVerified, 1, 10, 0);
      }),
    ).toBe(false);
    expect(
      verdict((e) => {
        e(K.RestoreStarted, 0, 0, 1);
        e(K.WorkloadStarted, 1);
        e(K.PagesVerified, 1, 10, 1);
      }),
    ).toBe(false);
    // RestoreStarted announced two processes, only one ran and was verified
    expect(
      verdict((e) => {
        e(K.RestoreStarted, 0, 0, 2);
        e(K.WorkloadStarted, 1);
        e(K.PagesVerified, 1, 10, 0);
      }),
    ).toBe(false);
  });

  describe('from the live store and from the log file', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'restorelab-metrics-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    function bothWays(fill: (s: EventStore) => void, m: RunMeta = meta): [RunMetrics, RunMetrics] {
      const path = join(dir, 'run.rlog');
      const live = new EventStore();
      live.addListener(new EventLogWriter(path, m));
      fill(live);
      live.close();
      return [computeMetrics(live), computeMetrics(readEventLog(path).store)];
    }

    it('gives the identical object for the hand-made run', () => {
      const [live, replayed] = bothWays(handRun);
      expect(replayed).toEqual(live);
      expect(JSON.stringify(replayed)).toBe(JSON.stringify(live));
    });

    it('gives the identical object for a long run with fractional latencies across many chunks', () => {
      const [live, replayed] = bothWays((s) => {
        let seed = 12345;
        const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        s.append(K.RestoreStarted, 0, 0, 4096, 2, 8192, 0);
        for (const pid of [1, 2]) {
          s.append(K.VmaRegistered, 1, pid, 0, 0, 4096, 1);
          s.append(K.WorkloadStarted, 2, pid, 100_000, 0, 0, 0);
        }
        let t = 3;
        for (let i = 0; i < 100_000; i++) {
          const pid = 1 + (i & 1);
          const page = Math.floor(rand() * 4096);
          t += rand() * 1000;
          if (rand() < 0.3) s.append(K.CopyQueued, t, pid, page, Math.min(4, 4096 - page), CopyCause.Background, CopyPriority.Background);
          s.append(K.FaultRaised, t, pid, page, 7, 0, 0);
          s.append(K.PagesCopied, t, pid, page, 1, rand() < 0.5 ? CopyCause.Demand : CopyCause.Prefetch, 1);
          s.append(K.FaultResolved, t + 1, pid, page, 10_000 + rand() * 5000, 0, 0);
        }
        for (const pid of [1, 2]) {
          s.append(K.WorkloadEnded, t + 10, pid, 100_000, 0, 0, 0);
          s.append(K.PagesTouched, t + 10, pid, 0, 2048, 0, 0);
          s.append(K.MemorySampled, t + 10, pid, 1e7 + 0.5, 5e6 + 0.25, 0, 0);
          s.append(K.PagesVerified, t + 10, pid, 4096, 0, 0, 0);
        }
      }, { ...meta, totalPages: 8192 });
      expect(live.events).toBeGreaterThan(300_000);
      expect(live.latePrefetches).toBeGreaterThan(0);
      expect(Number.isInteger(live.stallNs)).toBe(true);
      expect(Number.isInteger(live.faultLatencyNs.p99)).toBe(true);
      expect(replayed).toEqual(live);
      expect(JSON.stringify(replayed)).toBe(JSON.stringify(live));
    });
  });
});
