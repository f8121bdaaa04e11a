import { filter, map, merge } from 'rxjs';
import { copyPages, CopyCause, EventKind, EventStore, median, RejectReason, Strategy } from '@restorelab/core';

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

/**
 * A background push one page at a time: page 0 when the workload starts, then the page after each
 * page the copier answers for (a chain of CRIU-style chunks of one page, never two in flight).
 */
export const backgroundChain: Strategy = {
  attach: (ctx) =>
    merge(
      ctx.workloadStarted$.pipe(map((e) => copyPages(e.pid, 0, 1, 'background', 'background'))),
      ctx.copies$.pipe(
        filter((c) => c.cause === CopyCause.Background),
        map((c) => copyPages(c.pid, c.page + c.count, 1, 'background', 'background')),
      ),
      ctx.on(EventKind.CopyRejected).pipe(
        filter((r) => r.cause === CopyCause.Background && r.reason === RejectReason.Eexist),
        map((r) => copyPages(r.pid, r.page + r.count, 1, 'background', 'background')),
      ),
    ),
};

/** The copier's hand-offs in a run of backgroundChain, ns: both medians, NaN without samples. */
export interface ChainTimes {
  /** From a copier's answer to the session handling the command that reacts to it (CopyLanded). */
  readonly answerToCommandNs: number;
  /** From a command landing in the copier's queue to the copier's answer for it. */
  readonly landedToAnswerNs: number;
}

export function chainTimes(store: EventStore): ChainTimes {
  const answers: number[] = [];
  const served: number[] = [];
  const landedAt = new Map<number, number>();
  const isAnswer = (i: number) =>
    (store.kind[i] === EventKind.PagesCopied && store.c[i] === CopyCause.Background) ||
    (store.kind[i] === EventKind.CopyRejected && store.d[i] === CopyCause.Background && store.c[i] === RejectReason.Eexist);
  for (let i = 0; i < store.length; i++) {
    if (store.kind[i] === EventKind.CopyLanded) {
      const reactsTo = store.c[i];
      if (reactsTo >= 0 && isAnswer(reactsTo)) answers.push(store.t[i] - store.t[reactsTo]);
      landedAt.set(store.pid[i] * 2 ** 32 + store.a[i], store.t[i]);
    } else if (isAnswer(i)) {
      const key = store.pid[i] * 2 ** 32 + store.a[i];
      const t = landedAt.get(key);
      if (t !== undefined) {
        served.push(store.t[i] - t);
        landedAt.delete(key);
      }
    }
  }
  return { answerToCommandNs: answers.length ? median(answers) : NaN, landedToAnswerNs: served.length ? median(served) : NaN };
}
