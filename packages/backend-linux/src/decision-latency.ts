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

/** A decision this far behind its fault was made by an event loop working through a backlog. */
const BACKLOG_NS = 50_000;

/**
 * What the strategies' thread spends per event when it is behind: for consecutive decisions of a
 * `nextPageOnFault` run (queued or dropped as duplicates) the second of which came more than
 * BACKLOG_NS after its fault, the time between them over the events logged between their faults.
 * The simulator's decisionEventNs stands for it: the queue a fast fault stream builds up.
 */
export function decisionEventSamples(store: EventStore): number[] {
  const raisedSeq = new Map<string, number>();
  const out: number[] = [];
  let prevSeq = -1;
  let prevT = 0;
  for (let i = 0; i < store.length; i++) {
    const kind = store.kind[i];
    if (kind === EventKind.FaultRaised) raisedSeq.set(`${store.pid[i]}:${store.a[i] + 1}`, i);
    else if (kind === EventKind.CopyQueued || (kind === EventKind.CopyRejected && store.c[i] === RejectReason.Duplicate)) {
      const key = `${store.pid[i]}:${store.a[i]}`;
      const s = raisedSeq.get(key);
      if (s === undefined) continue;
      raisedSeq.delete(key);
      const t = store.t[i];
      if (prevSeq >= 0 && s > prevSeq && t - store.t[s] > BACKLOG_NS) out.push((t - prevT) / (s - prevSeq));
      prevSeq = s;
      prevT = t;
    }
  }
  return out;
}
