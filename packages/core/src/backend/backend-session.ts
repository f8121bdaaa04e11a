import { BackendPort } from './backend-port';
import { Image } from '../model/image';
import { FaultWindowRule, RestorePlan } from '../model/plan';
import { PrecopyRoundStat } from '../model/precopy';
import { SwitchReason } from '../events/event-kind';
import { Workload } from '../model/workload';
import { ProcessPages } from '../state/page-fold';
import { PageStateView } from '../strategy/strategy';

/** The page state a backend reads: the strategies' view, and each process's bitmaps. */
export interface BackendPageView extends PageStateView {
  /** Registered, present and in-flight pages of a process of the image (undefined for any other pid). */
  process(pid: number): ProcessPages | undefined;
}

/** The log as a backend may read it: how long it is and when each event happened. */
export interface EventLogView {
  readonly length: number;
  timeOf(seq: number): number;
}

/**
 * What a backend sees of a restore: the image, the workload and the plan to apply, the fault-time
 * windows, the page state the log implies, and where facts go (emit). start() hands the port to
 * the strategies; promptEvents says whether any of them reacts while the restore runs (so events
 * must reach it promptly) or only plans.
 */
export interface BackendSession {
  readonly image: Image;
  readonly workload: Workload;
  readonly plan: RestorePlan;
  /** Pages that are lazy when the workload starts if no strategy copies anything. */
  readonly initialLazyPages: number;
  readonly promptEvents: boolean;
  readonly pages: BackendPageView;
  readonly log: EventLogView;
  /** The combined fault-time window for a VMA. */
  windowFor(pid: number, vma: number): FaultWindowRule;
  /** Appends a fact to the log (see the event table in event-kind.ts); returns its seq. */
  emit(kind: number, t: number, pid: number, a: number, b: number, c: number, d: number): number;
  /**
   * Runs `emits` (a batch of emit calls, e.g. one drain of a native queue) with the strategies'
   * zones switched once for the batch instead of around every delivery; returns what it returns.
   */
  batch<R>(emits: () => R): R;
  /**
   * For a backend whose strategies react on a real clock, before that clock starts: new instances
   * of the stack run once on a throwaway session (once per stack and process), so that V8 has
   * compiled their handlers when the first events come. Nothing of it is logged.
   */
  warmUp(): void;
  /** The clock runs: strategies attach and may act through the port from now on. */
  start(port: BackendPort): void;
  /**
   * After each pre-copy round (plan.precopyRounds): why to switch over now, or null for another
   * round. A switchWhen that throws detaches its strategy and has no say.
   */
  switchOverReason(rounds: readonly PrecopyRoundStat[]): SwitchReason | null;
}
