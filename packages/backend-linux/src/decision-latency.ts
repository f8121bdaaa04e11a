import { map } from 'rxjs';
import { copyPages, EventKind, EventStore, RejectReason, Strategy } from '@restorelab/core';

/** Asks for the page after each faulting page, as soon as it hears of the fault. */
export const nextPageOnFault: Strategy = {
  attach: (ctx) => ctx.faults$.pipe(map((f) => copyPages(f.pid, f.page + 1, 1))),
};

/**
 * For each fault of a run with `nextPageOnFault`: from the fault to the session handling the
 * command it caused (CopyQueued, or CopyRejected as a duplicate when the page came in first). That
 * is the hand-off the simulator's decisionLatencyNs stands for: the fact reaching JavaScript, the
 * strategy's pipeline, the command going back.
 */
export function decisionLatencies(store: EventStore): number[] {
  const raised = new Map<string, number>();
  const out: number[] = [];
  for (let i = 0; i < store.length; i++) {
    const kind = store.kind[i];
    const key = `${store.pid[i]}:${store.a[i]}`;
    if (kind === EventKind.FaultRaised) raised.set(`${store.pid[i]}:${store.a[i] + 1}`, store.t[i]);
    else if (kind === EventKind.CopyQueued || (kind === EventKind.CopyRejected && store.c[i] === RejectReason.Duplicate)) {
      const t = raised.get(key);
      if (t === undefined) continue;
      raised.delete(key);
      out.push(store.t[i] - t);
    }
  }
  return out;
}
