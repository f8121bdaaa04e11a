import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CopyCause, CopyPriority, EventKind, EventStore, FaultFlag, RejectReason, UsageError } from '@restorelab/core';
import { renderComparison } from '../commands/compare-command';
import { runOne } from '../run-one';
import { writeArrowLog } from './arrow-log';
import { compareFaults, compareLogs, readAnyLog } from './compare-logs';
import { simContainer } from './__fixtures__/sim-container';

function faults(list: Array<[number, number] | [number, number, number]>): EventStore {
  const s = new EventStore();
  list.forEach(([pid, page, flags], i) => s.append(EventKind.FaultRaised, i, pid, page, pid, flags ?? 0, 0));
  return s;
}

describe('fault sequence divergence', () => {
  it('finds the first index where the (pid, page) sequences differ and counts the rest', () => {
    const a = faults([[1, 10], [1, 11], [2, 9, FaultFlag.WriteProtect], [1, 12], [2, 5]]);
    const b = faults([[1, 10], [1, 11], [1, 13], [2, 5], [2, 6]]);
    expect(compareFaults(a, b)).toEqual({
      faultsA: 4,
      faultsB: 5,
      identical: false,
      firstDifference: { index: 2, a: { pid: 1, page: 12 }, b: { pid: 1, page: 13 } },
      onlyInA: 1,
      onlyInB: 2,
      lateDecision: null,
    });
  });

  it('says when the first differing fault hit a page a strategy had asked for too late', () => {
    const b = new EventStore();
    const e = (s: EventStore, kind: number, t: number, a = 0, bb = 0, c = 0, d = 0) => s.append(kind, t, 1, a, bb, c, d);
    // B: the fault on 11 comes while the command for 11 (queued at 1000) has not landed yet
    e(b, EventKind.FaultRaised, 0, 10, 1, 0);
    const q = e(b, EventKind.CopyQueued, 1000, 11, 2, CopyCause.Prefetch, CopyPriority.Prefetch);
    e(b, EventKind.FaultRaised, 4000, 11, 1, 0);
    e(b, EventKind.CopyLanded, 9000, 11, 2, 0, q);
    e(b, EventKind.CopyRejected, 9500, 11, 1, RejectReason.Eexist, CopyCause.Prefetch);
    // A: the prefetch was in time, the next fault is elsewhere
    const a = faults([[1, 10], [1, 20]]);
    const r = compareFaults(a, b);
    expect(r.firstDifference).toEqual({ index: 1, a: { pid: 1, page: 20 }, b: { pid: 1, page: 11 } });
    expect(r.lateDecision).toEqual({ run: 'B', fault: { pid: 1, page: 11 }, queuedBeforeNs: 3000, landedAfterNs: 5000 });
    // a command answered before the fault is no late decision
    const c = new EventStore();
    e(c, EventKind.FaultRaised, 0, 10, 1, 0);
    e(c, EventKind.CopyQueued, 1000, 11, 1, CopyCause.Prefetch, CopyPriority.Prefetch);
    e(c, EventKind.CopyRejected, 2000, 11, 1, RejectReason.Enoent, CopyCause.Prefetch);
    e(c, EventKind.FaultRaised, 4000, 11, 1, 0);
    expect(compareFaults(a, c).lateDecision).toBeNull();
    const meta = { format: 'restorelab-log', version: 1, backend: 'linux', workload: 'w', strategy: 's', seed: 1, pageSize: 4096, processes: 1, totalPages: 32 } as const;
    const text = renderComparison(compareLogs('a.rlog', { meta, store: a } as never, 'b.rlog', { meta, store: b } as never));
    expect(text).toContain("a late decision: B's fault on pid 1 page 11 hit a page a strategy had asked for 3.0 us before; it landed 5.0 us after the fault");
  });

  it('tells the same page of another process apart, and counts repeated faults as a multiset', () => {
    const r = compareFaults(faults([[1, 4], [1, 4], [2, 4]]), faults([[1, 4], [2, 4], [2, 4]]));
    expect(r.firstDifference).toEqual({ index: 1, a: { pid: 1, page: 4 }, b: { pid: 2, page: 4 } });
    expect([r.onlyInA, r.onlyInB]).toEqual([1, 1]);
  });

  it('reports a sequence that stops early at the end of the shorter one', () => {
    const r = compareFaults(faults([[1, 1], [1, 2]]), faults([[1, 1], [1, 2], [1, 3]]));
    expect(r.firstDifference).toEqual({ index: 2, a: null, b: { pid: 1, page: 3 } });
    expect([r.onlyInA, r.onlyInB]).toEqual([0, 1]);
  });

  it('says identical when they are', () => {
    const r = compareFaults(faults([[1, 1], [3, 2]]), faults([[1, 1], [3, 2]]));
    expect(r).toMatchObject({ identical: true, firstDifference: null, onlyInA: 0, onlyInB: 0, faultsA: 2 });
  });
});

describe('compare on real logs', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-compare-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads .rlog and .arrow logs; a run against its own Arrow copy is identical', async () => {
    const container = await simContainer();
    const workload = 'zipf:pages=512,accesses=2000';
    const rlog = path.join(dir, 'demand.rlog');
    const demand = await runOne(container, { backend: 'sim', workload, strategy: 'demand-only', seed: 1, logPath: rlog });
    const arrow = path.join(dir, 'demand.arrow');
    writeArrowLog(arrow, demand.meta, demand.store);
    const same = compareLogs(rlog, readAnyLog(rlog), arrow, readAnyLog(arrow));
    expect(same.faults.identical).toBe(true);
    expect(same.faults.faultsA).toBe(demand.result.metrics.demandFaults);
    expect(same.metrics.every((m) => m.diff === 0 || (m.a === null && m.b === null))).toBe(true);
    expect(same.sameWorkload).toBe(true);

    const neighbor = await runOne(container, { backend: 'sim', workload, strategy: 'neighbor-prefetch:window=8', seed: 1, logPath: null });
    const nfile = path.join(dir, 'neighbor.arrow');
    writeArrowLog(nfile, neighbor.meta, neighbor.store);
    const c = compareLogs(rlog, readAnyLog(rlog), nfile, readAnyLog(nfile));
    expect(c.faults.identical).toBe(false);
    expect(c.faults.faultsB).toBe(neighbor.result.metrics.demandFaults);
    expect(c.faults.faultsA - c.faults.onlyInA).toBe(c.faults.faultsB - c.faults.onlyInB);
    // neighbour prefetch only removes faults of demand paging on this workload
    expect(c.faults.onlyInB).toBe(0);
    const df = c.metrics.find((m) => m.metric === 'demandFaults')!;
    expect(df).toEqual({
      metric: 'demandFaults',
      a: demand.result.metrics.demandFaults,
      b: neighbor.result.metrics.demandFaults,
      diff: neighbor.result.metrics.demandFaults - demand.result.metrics.demandFaults,
      relative: (neighbor.result.metrics.demandFaults - demand.result.metrics.demandFaults) / demand.result.metrics.demandFaults,
    });
    const text = renderComparison(c);
    expect(text).toContain(`demand-fault sequences diverge at fault #${c.faults.firstDifference!.index}`);
    expect(text).toMatch(/^demandFaults +\d+ +\d+ +-\d+ +-\d+\.\d%$/m);
  });

  it('shows the pre-copy rounds side by side: the dirty sets and the reason as they are, the counts with their difference', async () => {
    const container = await simContainer();
    const workload = 'hotcold:pages=2048,sourceAccesses=2048';
    const file = (n: number) => path.join(dir, `rounds-${n}.rlog`);
    const runs = [];
    for (const n of [2, 4]) runs.push(await runOne(container, { backend: 'sim', workload, strategy: `hybrid-precopy:maxRounds=${n},switchBelow=0,notShrinking=false`, seed: 1, logPath: file(n) }));
    const c = compareLogs(file(2), readAnyLog(file(2)), file(4), readAnyLog(file(4)));
    const row = (metric: string) => c.metrics.find((m) => m.metric === metric)!;
    expect(row('precopy.rounds')).toMatchObject({ a: 2, b: 4, diff: 2 });
    expect(row('precopy.switchReason')).toEqual({ metric: 'precopy.switchReason', a: 'max-rounds', b: 'max-rounds', diff: null, relative: null });
    expect(row('precopy.dirtyPages').a).toBe(runs[0].result.metrics.precopy!.dirtyPages.join(' '));
    expect(renderComparison(c)).toMatch(new RegExp(`^precopy\\.dirtyPages +${runs[0].result.metrics.precopy!.dirtyPages.join(' ')} +${runs[1].result.metrics.precopy!.dirtyPages.join(' ')} +- +-$`, 'm'));
  });

  it('refuses a file that is no log, in one line', () => {
    const junk = path.join(dir, 'junk.bin');
    fs.writeFileSync(junk, 'hello world, not a log');
    expect(() => readAnyLog(junk)).toThrow(UsageError);
    expect(() => readAnyLog(path.join(dir, 'missing.arrow'))).toThrow(/cannot read log .*missing\.arrow: ENOENT/);
  });
});
