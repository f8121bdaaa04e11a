import { PageFlag } from '@restorelab/core';
import { attached, ScriptedRestore } from '../testing/scripted-restore';
import { tinyWorkload } from '@restorelab/core/testing';
import { demandOnly } from './demand-only';

describe('demand-only', () => {
  it('plans nothing beyond the image prefill and asks for no copy', () => {
    const w = tinyWorkload([{ pid: 1, vmas: [8, 8], flags: (i) => (i === 3 ? PageFlag.Content | PageFlag.Precopied : PageFlag.Content) }]);
    const run = new ScriptedRestore(w, [attached(demandOnly)]).setUp().startWorkload();
    expect(run.session.plan.precopy).toEqual([]);
    expect(run.session.plan.prefill).toEqual([{ pid: 1, page: 3, count: 1, source: 'image' }]);
    expect(run.session.windowFor(1, 0)).toEqual({ forward: 0, backward: 0 });
    expect(run.touch(1, [0, 1, 3, 9, 1, 15])).toBe(4);
    run.serve();
    expect(run.submitted).toEqual([]);
    expect(run.session.state.lazyPageCount(1)).toBe(16 - 5);
    run.finish();
  });
});
