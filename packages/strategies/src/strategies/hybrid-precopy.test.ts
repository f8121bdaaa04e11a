import { CopyPriority, PrecopyRoundStat, SwitchReason } from '@restorelab/core';
import { tinyWorkload } from '@restorelab/core/testing';
import { appliesTo } from '../support/built-in-strategy';
import { attached, ScriptedRestore } from '../testing/scripted-restore';
import { workload } from '../testing/workloads';
import { hybridPrecopy } from './hybrid-precopy';

const rounds = (...dirty: number[]): PrecopyRoundStat[] => dirty.map((d, i) => ({ round: i + 1, sentPages: 100, dirtyPages: d, roundNs: 1 }));

describe('hybrid-precopy', () => {
  const single = () => tinyWorkload([{ pid: 1, vmas: [16, 16], sourceAccesses: [20, 3, 20, 20, 3, 9] }]);

  it('asks for pre-copy rounds and switches over below its dirty threshold, at its round limit, or when the dirty set stops shrinking', () => {
    const run = new ScriptedRestore(single(), [attached(hybridPrecopy, { maxRounds: 4, switchBelow: 10 })]);
    expect(run.session.plan.precopyRounds).toMatchObject({ maxRounds: 4, stopWhenNotShrinking: true, owner: 0 });
    expect(run.session.switchOverReason(rounds(500, 200))).toBeNull();
    expect(run.session.switchOverReason(rounds(500, 200, 10))).toBe(SwitchReason.Strategy);
    expect(run.session.switchOverReason(rounds(500, 200, 300))).toBe(SwitchReason.NotShrinking);
    expect(run.session.switchOverReason(rounds(500, 200, 100, 50))).toBe(SwitchReason.MaxRounds);
    const patient = new ScriptedRestore(single(), [attached(hybridPrecopy, { maxRounds: 4, switchBelow: 0, notShrinking: false })]);
    expect(patient.session.switchOverReason(rounds(500, 200, 300))).toBeNull();
    expect(patient.session.switchOverReason(rounds(500, 1))).toBeNull();
  });

  it('fetches after the switch-over with a neighbour window, or pushes the source phase hot pages most touched first', () => {
    const neighbor = new ScriptedRestore(single(), [attached(hybridPrecopy, { window: 4 })]);
    expect(neighbor.session.windowFor(1, 1)).toEqual({ forward: 4, backward: 0 });
    // decided at plan time: the backends need not wait for the event loop
    expect(neighbor.session.promptEvents).toBe(false);
    const hot = new ScriptedRestore(single(), [attached(hybridPrecopy, { postcopy: 'hot-first' })]).setUp();
    expect(hot.session.windowFor(1, 0)).toEqual({ forward: 0, backward: 0 });
    expect(hot.fault(1, 9)).toBe(true);
    expect(hot.submitted).toEqual([]);
    expect(hot.session.promptEvents).toBe(true);
    hot.startWorkload();
    // 20 three times, 3 twice; 9 is present already
    expect(hot.submitted.map((c) => [c.page, c.count, c.priority])).toEqual([
      [20, 1, CopyPriority.Background],
      [3, 1, CopyPriority.Background],
    ]);
  });

  it('keeps huge pages off until registration on huge-page VMAs (seed 001), unless told not to', () => {
    const thp = () => tinyWorkload([{ pid: 1, vmas: [512, 512], thp: 'hugepage' }]);
    const guarded = new ScriptedRestore(thp(), [attached(hybridPrecopy)]).session.plan;
    expect(guarded.adviseBeforeFill).toEqual([
      { pid: 1, vma: 0, advice: 'nohugepage' },
      { pid: 1, vma: 1, advice: 'nohugepage' },
    ]);
    expect(guarded.adviseAfterRegister.map((a) => a.advice)).toEqual(['hugepage', 'hugepage']);
    const bare = new ScriptedRestore(thp(), [attached(hybridPrecopy, { guardThp: false })]).session.plan;
    expect([bare.adviseBeforeFill, bare.adviseAfterRegister]).toEqual([[], []]);
    expect(new ScriptedRestore(single(), [attached(hybridPrecopy)]).session.plan.adviseBeforeFill).toEqual([]);
  });

  it('applies to a single process without hugetlb VMAs', () => {
    expect(appliesTo(hybridPrecopy, workload('hotcold:pages=1024,sourceAccesses=64'))).toBe(true);
    expect(appliesTo(hybridPrecopy, workload('thp-predump:pages=1024'))).toBe(true);
    expect(appliesTo(hybridPrecopy, workload('forktree:pages=1024'))).toBe(false);
  });
});
