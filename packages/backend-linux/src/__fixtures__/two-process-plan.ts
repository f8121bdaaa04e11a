import { EventStore, RestoreSession, Strategy } from '@restorelab/core';
import { tinyWorkload } from '@restorelab/core/testing';

/** Two processes (a parent and its child) and a strategy that uses every kind of plan step. */
export function twoProcessPlan() {
  const strategy: Strategy = {
    plan(ctx) {
      ctx.adviseBeforeFill(2, 0, 'nohugepage');
      ctx.prefill({ pid: 1, page: 1, count: 2 });
      ctx.adviseAfterRegister(2, 0, 'hugepage');
      ctx.precopy({ pid: 2, page: 3, count: 4 });
      ctx.faultWindow({ forward: 7, backward: 3 }, { pid: 2, vma: 1 });
    },
  };
  const workload = tinyWorkload([
    { pid: 1, vmas: [4, 4], accesses: [0, 1, 5] },
    { pid: 2, parent: 1, vmas: [4, 4], sourceAccesses: [1, 2], accesses: [7, 6] },
  ]);
  const session = new RestoreSession(workload, [{ name: 's', spec: 's', instance: strategy }], new EventStore());
  return { workload, session };
}
