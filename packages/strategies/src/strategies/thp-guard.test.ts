import { appliesTo } from '../support/built-in-strategy';
import { attached, ScriptedRestore } from '../testing/scripted-restore';
import { tinyWorkload } from '@restorelab/core/testing';
import { workload } from '../testing/workloads';
import { thpGuard } from './thp-guard';

describe('thp-guard', () => {
  it('turns huge pages off before the fill and restores the advice after registration', () => {
    const w = tinyWorkload([
      { pid: 1, vmas: [512, 512], thp: 'hugepage' },
      { pid: 2, parent: 1, vmas: [512] },
    ]);
    const run = new ScriptedRestore(w, [attached(thpGuard)]);
    expect(run.session.plan.adviseBeforeFill).toEqual([
      { pid: 1, vma: 0, advice: 'nohugepage' },
      { pid: 1, vma: 1, advice: 'nohugepage' },
    ]);
    expect(run.session.plan.adviseAfterRegister).toEqual([
      { pid: 1, vma: 0, advice: 'hugepage' },
      { pid: 1, vma: 1, advice: 'hugepage' },
    ]);
    expect(run.session.plan.precopy).toEqual([]);
  });

  it('applies only where huge-page VMAs exist', () => {
    expect(appliesTo(thpGuard, workload('thp-predump:pages=1024'))).toBe(true);
    expect(appliesTo(thpGuard, workload('seq:pages=1024'))).toBe(false);
  });
});
