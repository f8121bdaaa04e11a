import { CopyCause, EventKind, PageFlag } from '@restorelab/core';
import { attached, ScriptedRestore } from '../testing/scripted-restore';
import { tinyWorkload } from '@restorelab/core/testing';
import { eager } from './eager';

describe('eager', () => {
  const w = tinyWorkload([
    { pid: 1, vmas: [600, 5], flags: (i) => (i === 10 ? PageFlag.Content | PageFlag.Precopied : i === 20 ? 0 : PageFlag.Content) },
    { pid: 2, parent: 1, vmas: [600, 5] },
  ]);

  it('precopies every VMA of every process', () => {
    const run = new ScriptedRestore(w, [attached(eager)]);
    expect(run.session.plan.precopy).toEqual([
      { pid: 1, page: 0, count: 600 },
      { pid: 1, page: 600, count: 5 },
      { pid: 2, page: 0, count: 600 },
      { pid: 2, page: 600, count: 5 },
    ]);
  });

  it('leaves nothing lazy, so the workload never faults', () => {
    const run = new ScriptedRestore(w, [attached(eager)]).setUp().startWorkload();
    expect(run.session.state.lazyPageCount(1)).toBe(0);
    expect(run.session.state.lazyPageCount(2)).toBe(0);
    let precopied = 0;
    for (let i = 0; i < run.store.length; i++) {
      if (run.store.kind[i] === EventKind.PagesCopied && run.store.c[i] === CopyCause.Precopy) precopied += run.store.b[i];
    }
    expect(precopied).toBe(2 * 605 - 1);
    expect(run.touch(1, [0, 10, 20, 604])).toBe(0);
    expect(run.touch(2, [0, 599, 600])).toBe(0);
    run.finish();
  });
});
