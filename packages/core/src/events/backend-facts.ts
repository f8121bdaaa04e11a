import { EventKind } from './event-kind';

/** Where facts go: the session (BackendSession.emit) or a bare store. */
export interface FactSink {
  emit(kind: number, t: number, pid: number, a: number, b: number, c: number, d: number): number;
}

/**
 * The facts a backend reports, one method per kind with its fields named (the table in
 * event-kind.ts), instead of positional a, b, c, d. Each returns the event's seq.
 */
export class BackendFacts {
  constructor(private readonly sink: FactSink) {}

  restoreStarted(t: number, lazyPages: number, processes: number, totalPages: number): number {
    return this.sink.emit(EventKind.RestoreStarted, t, 0, lazyPages, processes, totalPages, 0);
  }
  restoreEnded(t: number): number {
    return this.sink.emit(EventKind.RestoreEnded, t, 0, 0, 0, 0, 0);
  }
  vmaRegistered(t: number, pid: number, vma: number, firstPage: number, pages: number, mode: number): number {
    return this.sink.emit(EventKind.VmaRegistered, t, pid, vma, firstPage, pages, mode);
  }
  madviseApplied(t: number, pid: number, vma: number, advice: number, ok: boolean): number {
    return this.sink.emit(EventKind.MadviseApplied, t, pid, vma, advice, ok ? 1 : 0, 0);
  }
  pagesPrefilled(t: number, pid: number, page: number, count: number, source: number): number {
    return this.sink.emit(EventKind.PagesPrefilled, t, pid, page, count, source, 0);
  }
  hugePageCollapsed(t: number, pid: number, vma: number, firstPage: number, count: number): number {
    return this.sink.emit(EventKind.HugePageCollapsed, t, pid, vma, firstPage, count, 0);
  }
  faultRaised(t: number, pid: number, page: number, tid: number, flags: number): number {
    return this.sink.emit(EventKind.FaultRaised, t, pid, page, tid, flags, 0);
  }
  faultResolved(t: number, pid: number, page: number, latencyNs: number): number {
    return this.sink.emit(EventKind.FaultResolved, t, pid, page, latencyNs, 0, 0);
  }
  pagesCopied(t: number, pid: number, page: number, count: number, cause: number, calls: number): number {
    return this.sink.emit(EventKind.PagesCopied, t, pid, page, count, cause, calls);
  }
  zeroPageMapped(t: number, pid: number, page: number, count: number): number {
    return this.sink.emit(EventKind.ZeroPageMapped, t, pid, page, count, 0, 0);
  }
  copyRejected(t: number, pid: number, page: number, count: number, reason: number, cause: number): number {
    return this.sink.emit(EventKind.CopyRejected, t, pid, page, count, reason, cause);
  }
  processForked(t: number, pid: number, child: number): number {
    return this.sink.emit(EventKind.ProcessForked, t, pid, child, 0, 0, 0);
  }
  workloadStarted(t: number, pid: number, accesses: number): number {
    return this.sink.emit(EventKind.WorkloadStarted, t, pid, accesses, 0, 0, 0);
  }
  workloadEnded(t: number, pid: number, accesses: number): number {
    return this.sink.emit(EventKind.WorkloadEnded, t, pid, accesses, 0, 0, 0);
  }
  pagesTouched(t: number, pid: number, page: number, count: number): number {
    return this.sink.emit(EventKind.PagesTouched, t, pid, page, count, 0, 0);
  }
  memorySampled(t: number, pid: number, rssBytes: number, pssBytes: number, privateBytes: number): number {
    return this.sink.emit(EventKind.MemorySampled, t, pid, rssBytes, pssBytes, privateBytes, 0);
  }
  pagesVerified(t: number, pid: number, checked: number, mismatched: number, unrestored: number): number {
    return this.sink.emit(EventKind.PagesVerified, t, pid, checked, mismatched, unrestored, 0);
  }
  pageMismatch(t: number, pid: number, page: number): number {
    return this.sink.emit(EventKind.PageMismatch, t, pid, page, 0, 0, 0);
  }
  copyLanded(t: number, pid: number, page: number, count: number, reactsTo: number, queuedSeq: number): number {
    return this.sink.emit(EventKind.CopyLanded, t, pid, page, count, reactsTo, queuedSeq);
  }
  faultRulesSet(t: number, pid: number, stride: number, strideCount: number, successorEntries: number, reactsTo: number): number {
    return this.sink.emit(EventKind.FaultRulesSet, t, pid, stride, strideCount, successorEntries, reactsTo);
  }
  faultStalled(t: number, pid: number, page: number, waitedNs: number): number {
    return this.sink.emit(EventKind.FaultStalled, t, pid, page, waitedNs, 0, 0);
  }
  precopyRound(t: number, pid: number, round: number, sentPages: number, dirtyPages: number, roundNs: number): number {
    return this.sink.emit(EventKind.PrecopyRound, t, pid, round, sentPages, dirtyPages, roundNs);
  }
  switchOver(t: number, pid: number, rounds: number, discarded: number, reason: number, sourcePasses: number): number {
    return this.sink.emit(EventKind.SwitchOver, t, pid, rounds, discarded, reason, sourcePasses);
  }
  pagesDiscarded(t: number, pid: number, page: number, count: number): number {
    return this.sink.emit(EventKind.PagesDiscarded, t, pid, page, count, 0, 0);
  }
}
