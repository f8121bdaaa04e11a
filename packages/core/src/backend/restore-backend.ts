import { SchedulerLike } from 'rxjs';
import { CopyCause, CopyPriority } from '../events/event-kind';
import { ThpAdvice } from '../model/image';
import { FaultRules } from '../model/plan';
import type { RestoreSession } from '../session/restore-session';

export interface BackendAvailability {
  readonly available: boolean;
  /** Why not, in one line, with what to do about it. */
  readonly reason?: string;
}

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

export interface BackendRunOptions {
  readonly seed: number;
  /** Called now and then with the fraction of the workload done (0..1), for progress bars. */
  readonly onProgress?: (fraction: number) => void;
  readonly signal?: AbortSignal;
}

/**
 * A backend executes a session: applies the plan, runs the workload, emits every fact through
 * session.emit, lets the strategies act through the port it passes to session.start, and returns
 * when the workload has ended and the verification events are in the log.
 * A failed verification is not an exception: it is a PagesVerified event with mismatches.
 * An exception means the backend itself could not run (its message is shown to the user).
 */
export const RestoreBackend = Symbol('RestoreBackend');
export interface RestoreBackend {
  readonly name: string;
  readonly description: string;
  availability(): Promise<BackendAvailability>;
  /** Facts recorded in the log's metadata (cost model, kernel, features). */
  describe(): Readonly<Record<string, unknown>>;
  run(session: RestoreSession, options: BackendRunOptions): Promise<void>;
}
