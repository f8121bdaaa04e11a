import { CopyCause } from '@restorelab/core';
import { attached, ScriptedRestore } from '../testing/scripted-restore';
import { tinyWorkload } from '@restorelab/core/testing';
import { LeapHistory, leapTrend } from './leap-trend';

function history(capacity: number, pages: number[]): LeapHistory {
  const h = new LeapHistory(capacity);
  for (const p of pages) h.log(p);
  return h;
}

describe('LeapHistory', () => {
  it('finds the majority delta of the newest quarter first', () => {
    // deltas 0, 5, 5, -2, 7, 3, 3, 3: the newest 2 agree on 3
    expect(history(8, [0, 5, 10, 8, 15, 18, 21, 24]).trend()).toBe(3);
  });

  it('widens the window when the newest deltas have no majority', () => {
    // newest 2 deltas: 9, 1 (no majority); newest 4: 1, 1, 9, 1 -> 1
    expect(history(8, [0, 1, 2, 3, 4, 5, 6, 15, 16]).trend()).toBe(1);
  });

  it('has no trend without a strict majority, nor before a quarter of the history is filled', () => {
    expect(history(8, [0, 1, 3, 6, 10, 15, 21, 28]).trend()).toBeUndefined();
    expect(history(32, [0, 1, 2, 3, 4, 5, 6]).trend()).toBeUndefined();
    expect(history(32, [0, 1, 2, 3, 4, 5, 6, 7]).trend()).toBe(1);
  });
});

describe('leap-trend', () => {
  const w = tinyWorkload([{ pid: 1, vmas: [8192] }]);

  /** Touches the pages in order; prefetches (the paper's copy commands) land before the next touch. */
  function play(pages: number[], params = {}) {
    const run = new ScriptedRestore(w, [attached(leapTrend, { apply: 'copy', ...params })]).setUp().startWorkload();
    const faults: number[] = [];
    for (const p of pages) {
      if (run.fault(1, p)) faults.push(p);
      run.serve();
    }
    return { run, faults };
  }

  it('as a fault-time rule: installs the trend and a window grown by the pages it passed over', () => {
    const run = new ScriptedRestore(w, [attached(leapTrend, { history: 4 })]).setUp().startWorkload();
    // 3 follows the trend (window 1); at 9 the rule's page 6 was passed over (a hit: window 2);
    // at 18 pages 12 and 15 were (window 4)
    for (const p of [0, 3, 9, 18]) run.fault(1, p);
    expect(run.rulesSet).toEqual([
      { pid: 1, rules: { stride: { stride: 3, count: 1 }, successors: null } },
      { pid: 1, rules: { stride: { stride: 3, count: 2 }, successors: null } },
      { pid: 1, rules: { stride: { stride: 3, count: 4 }, successors: null } },
    ]);
    expect(run.submitted).toEqual([]);
    // the same rule again is not sent again; a miss off the trend with no hits drops it
    run.fault(1, 30);
    expect(run.rulesSet).toHaveLength(3);
  });

  it('on a sequential scan doubles its window with every hit, up to maxWindow', () => {
    const { run, faults } = play(Array.from({ length: 400 }, (_, i) => i));
    // 8 faults to fill H/4 = 8 deltas, then windows 1, 2, 4, 8, 16, 32, 64, 64
    expect(faults).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 17, 26, 43, 76, 141, 206, 271, 336]);
    expect(run.submitted.slice(0, 3).map((c) => [c.page, c.count])).toEqual([
      [8, 1],
      [10, 2],
      [13, 4],
    ]);
    expect(run.submitted.every((c) => c.cause === CopyCause.Prefetch)).toBe(true);
  });

  it('follows a stride, one page per command', () => {
    const { run, faults } = play(Array.from({ length: 1000 }, (_, i) => i * 8), { maxWindow: 16 });
    expect(faults.length).toBeLessThan(1000 / 10);
    const last = run.submitted.slice(-16);
    expect(last.every((c) => c.count === 1)).toBe(true);
    expect(last[1].page - last[0].page).toBe(8);
  });

  it('prefetches nothing on accesses without a trend', () => {
    const pages: number[] = [];
    for (let i = 0, p = 0; i < 300; i++) pages.push((p = (p * 1103 + 4271 + i * i) % 8192));
    const { run, faults } = play(pages);
    expect(faults.length).toBe(new Set(pages).size);
    expect(run.submitted).toEqual([]);
  });

  it('counts a fault on a page still in flight as a (late) hit', () => {
    const run = new ScriptedRestore(w, [attached(leapTrend, { apply: 'copy' })]).setUp().startWorkload();
    for (let p = 0; p < 8; p++) run.fault(1, p);
    expect(run.submitted.map((c) => [c.page, c.count])).toEqual([[8, 1]]);
    run.fault(1, 8); // still queued: a late hit, no new prefetch
    expect(run.submitted).toHaveLength(1);
    run.fault(1, 9); // the next miss sizes the window from that hit
    expect(run.submitted.map((c) => [c.page, c.count])).toEqual([
      [8, 1],
      [10, 2],
    ]);
  });

  it('shrinks the window by half at most after a miss off the trend', () => {
    const scan = Array.from({ length: 400 }, (_, i) => i);
    const { run } = play([...scan, 5000]);
    const afterJump = run.submitted.filter((c) => c.page > 5000);
    expect(afterJump).toEqual([{ pid: 1, page: 5001, count: 32, cause: CopyCause.Prefetch, priority: 1 }]);
  });
});
