import { PageFlag } from '@restorelab/core';
import { appliesTo } from '../support/built-in-strategy';
import { attached, ScriptedRestore } from '../testing/scripted-restore';
import { tinyWorkload } from '@restorelab/core/testing';
import { workload } from '../testing/workloads';
import { cowAware } from './cow-aware';

const C = PageFlag.Content;
const S = PageFlag.SharedWithParent;

describe('cow-aware', () => {
  // pid 2 shares pages 2..5 (content) and 6 (zero) with pid 1; pid 3 shares 3 (shared by pid 2 too,
  // so it comes from pid 1) and 8 (pid 2's own page) with pid 2.
  const w = tinyWorkload([
    { pid: 1, vmas: [8, 8] },
    { pid: 2, parent: 1, vmas: [8, 8], flags: (i) => (i >= 2 && i <= 5 ? S | C : i === 6 ? S : C) },
    { pid: 3, parent: 2, vmas: [8, 8], flags: (i) => (i === 3 || i === 8 ? S | C : C) },
  ]);

  it('prefills shared content pages in the ancestor they come from', () => {
    const run = new ScriptedRestore(w, [attached(cowAware)]);
    expect(run.session.plan.prefill).toEqual([
      { pid: 1, page: 2, count: 4, source: 'strategy' },
      { pid: 2, page: 8, count: 1, source: 'strategy' },
    ]);
  });

  it('lets children inherit them instead of faulting private copies', () => {
    const run = new ScriptedRestore(w, [attached(cowAware)]).setUp().startWorkload();
    expect(run.touch(2, [2, 3, 4, 5, 6, 7])).toBe(2);
    expect(run.touch(3, [3, 8, 9])).toBe(1);
    run.finish();
  });

  it('applies only to images whose children share pages', () => {
    expect(appliesTo(cowAware, w)).toBe(true);
    expect(appliesTo(cowAware, workload('forktree:pages=1024,procs=3'))).toBe(true);
    expect(appliesTo(cowAware, workload('forktree:pages=1024,procs=3,sharedFraction=0'))).toBe(false);
    expect(appliesTo(cowAware, workload('seq:pages=1024'))).toBe(false);
  });
});
