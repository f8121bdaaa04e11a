import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EventKind, EventStore, FaultFlag, UsageError } from '@restorelab/core';
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
    });
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

  it('refuses a file that is no log, in one line', () => {
    const junk = path.join(dir, 'junk.bin');
    fs.writeFileSync(junk, 'hello world, not a log');
    expect(() => readAnyLog(junk)).toThrow(UsageError);
    expect(() => readAnyLog(path.join(dir, 'missing.arrow'))).toThrow(/cannot read log .*missing\.arrow: ENOENT/);
  });
});
