import { SchedulerLike } from 'rxjs';
import { CopyCause, CopyPriority } from '../events/event-kind';
import { ThpAdvice } from '../model/image';
import { FaultRules } from '../model/plan';

/** What a running backend offers the session: the clock, the scheduler and the command queue. */
export interface BackendPort {
  readonly scheduler: SchedulerLike;
  /** ns on the run's clock. */
  now(): number;
  /**
   * Queue an asynchronous copy (the core has already dropped pages present or in flight and
   * emitted CopyQueued). The backend emits PagesCopied, or CopyRejected(EEXIST) for pages a demand
   * fault copied first, when the copy happens. When the command reaches the backend's copy queue
   * the backend emits CopyLanded with `reactsTo` (the seq of the event the strategy had last been
   * given when it asked, -1 if none) and `queuedSeq` (the command's CopyQueued event).
   */
  submitCopy(pid: number, page: number, count: number, cause: CopyCause, priority: CopyPriority, reactsTo: number, queuedSeq: number): void;
  submitMadvise(pid: number, vma: number, advice: ThpAdvice): void;
  /**
   * Replace a process's fault-time rules (checked by the core). When they take effect the backend
   * emits FaultRulesSet (stride, stride count, successor entries, reactsTo).
   */
  submitFaultRules(pid: number, rules: FaultRules, reactsTo: number): void;
}
