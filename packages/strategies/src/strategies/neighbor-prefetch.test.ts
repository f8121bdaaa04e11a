import { CopyCause, EventKind, PageFlag } from '@restorelab/core';
import { attached, ScriptedRestore } from '../testing/scripted-restore';
import { tinyWorkload } from '@restorelab/core/testing';
import { neighborPrefetch } from './neighbor-prefetch';

describe('neighbor-prefetch', () => {
  const w = tinyWorkload([{ pid: 1, vmas: [64, 64], flags: (i) => (i === 50 ? 0 : PageFlag.Content) }]);

  it('installs a forward window of 8 by default, on every VMA', () => {
    const run = new ScriptedRestore(w, [attached(neighborPrefetch)]);
    expect(run.session.windowFor(1, 0)).toEqual({ forward: 8, backward: 0 });
    expect(run.session.windowFor(1, 1)).toEqual({ forward: 8, backward: 0 });
  });

  it('direction=both opens the window backward too', () => {
    const run = new ScriptedRestore(w, [attached(neighborPrefetch, { window: 16, direction: 'both' })]);
    expect(run.session.windowFor(1, 1)).toEqual({ forward: 16, backward: 16 });
  });

  it('is served inside the demand fault, never past the VMA or a zero page', () => {
    const run = new ScriptedRestore(w, [attached(neighborPrefetch, { window: 16 })]).setUp().startWorkload();
    run.fault(1, 40); // 41..49: stops before the zero page 50
    run.fault(1, 60); // 61..63: stops at the VMA end
    const prefetched: [number, number][] = [];
    for (let i = 0; i < run.store.length; i++) {
      if (run.store.kind[i] === EventKind.PagesCopied && run.store.c[i] === CopyCause.Prefetch) prefetched.push([run.store.a[i], run.store.b[i]]);
    }
    expect(prefetched).toEqual([
      [41, 9],
      [61, 3],
    ]);
    expect(run.submitted).toEqual([]);
    run.finish();
  });

  it('sequential touches fault once per window+1 pages', () => {
    const seq = tinyWorkload([{ pid: 1, vmas: [1024] }]);
    const run = new ScriptedRestore(seq, [attached(neighborPrefetch, { window: 15 })]).setUp().startWorkload();
    expect(run.touch(1, Array.from({ length: 1024 }, (_, i) => i))).toBe(1024 / 16);
  });
});
