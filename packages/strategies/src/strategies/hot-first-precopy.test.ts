import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { EventKind, EventLogWriter, EventStore, PageFlag, RunMeta, UsageError } from '@restorelab/core';
import { attached, ScriptedRestore } from '../testing/scripted-restore';
import { tinyWorkload } from '@restorelab/core/testing';
import { hotFirstPrecopy } from './hot-first-precopy';

const precopyOf = (source: number[], params: Record<string, string | number>, pages = 32) =>
  new ScriptedRestore(tinyWorkload([{ pid: 1, vmas: [pages], sourceAccesses: source }]), [attached(hotFirstPrecopy, params)]).session.plan.precopy;

describe('hot-first-precopy', () => {
  it('precopies the most accessed pages of the source phase', () => {
    expect(precopyOf([7, 5, 5, 5, 9, 9, 2], { budget: 2 })).toEqual([
      { pid: 1, page: 5, count: 1 },
      { pid: 1, page: 9, count: 1 },
    ]);
  });

  it('breaks hotness ties by first access, or ranks by first access alone', () => {
    expect(precopyOf([7, 5, 5, 5, 9, 9, 2], { budget: 3 }).map((r) => r.page)).toEqual([5, 7, 9]);
    expect(precopyOf([7, 5, 5, 5, 9, 9, 2], { budget: 2, order: 'first-access' }).map((r) => r.page)).toEqual([5, 7]);
  });

  it('coalesces chosen pages into ranges and never spends budget on pages never seen', () => {
    expect(precopyOf([3, 4, 5, 10, 4], { budget: 100 })).toEqual([
      { pid: 1, page: 3, count: 3 },
      { pid: 1, page: 10, count: 1 },
    ]);
  });

  it('reads a budget below 1 as a fraction of the lazy pages and skips pre-dumped pages', () => {
    const w = tinyWorkload([
      { pid: 1, vmas: [10], flags: (i) => PageFlag.Content | (i < 2 ? PageFlag.Precopied : 0), sourceAccesses: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
    ]);
    const run = new ScriptedRestore(w, [attached(hotFirstPrecopy, { budget: 0.5, order: 'first-access' })]);
    expect(run.session.plan.precopy).toEqual([{ pid: 1, page: 2, count: 4 }]);
  });

  it('ranks pages of every process together and leaves the rest lazy', () => {
    const w = tinyWorkload([
      { pid: 1, vmas: [16], sourceAccesses: [1, 1, 1, 2] },
      { pid: 2, parent: 1, vmas: [16], sourceAccesses: [4, 4, 6] },
    ]);
    const run = new ScriptedRestore(w, [attached(hotFirstPrecopy, { budget: 2 })]).setUp().startWorkload();
    expect(run.session.plan.precopy).toEqual([
      { pid: 1, page: 1, count: 1 },
      { pid: 2, page: 4, count: 1 },
    ]);
    expect(run.touch(1, [1, 2])).toBe(1);
    expect(run.touch(2, [4, 6])).toBe(1);
  });

  describe('with a previous run as the profile', () => {
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'hot-first-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    function writeLog(name: string, faults: [number, number][]): string {
      const path = join(dir, name);
      const meta: RunMeta = { format: 'restorelab-log', version: 1, backend: 'sim', workload: 'tiny', strategy: 'demand-only', seed: 1, pageSize: 4096, processes: 2, totalPages: 128 };
      const store = new EventStore();
      store.addListener(new EventLogWriter(path, meta));
      faults.forEach(([pid, page], i) => {
        store.append(EventKind.FaultRaised, i * 10, pid, page, 1, 0, 0);
        store.append(EventKind.FaultResolved, i * 10 + 5, pid, page, 5, 0, 0);
      });
      store.close();
      return path;
    }

    it("precopies the recorded faults, in the recording's order when the budget cuts", () => {
      const log = writeLog('run.rlog', [
        [1, 20],
        [1, 3],
        [9, 4],
        [1, 21],
        [1, 99],
        [1, 8],
      ]);
      expect(precopyOf([], { profile: log, budget: 3 })).toEqual([
        { pid: 1, page: 3, count: 1 },
        { pid: 1, page: 20, count: 2 },
      ]);
    });

    it('names the parameter when the log cannot be read', () => {
      const create = () => hotFirstPrecopy.create({ profile: join(dir, 'missing.rlog') });
      expect(create).toThrow(UsageError);
      expect(create).toThrow(/parameter 'profile'.*missing\.rlog/);
    });
  });
});
