import { Observable, SchedulerLike } from 'rxjs';
import { EventKind } from '../events/event-kind';
import { Image, ThpAdvice } from '../model/image';
import { PageRange } from '../model/page';
import { FaultRules, FaultWindowRule } from '../model/plan';
import { PrecopyRoundsSpec } from '../model/precopy';
import { ProcessTrace } from '../model/workload';
import {
  EventOf,
  FaultRaisedEvent,
  FaultResolvedEvent,
  PagesCopiedEvent,
  ProcessForkedEvent,
  RestoreEvent,
  VmaRegisteredEvent,
} from '../events/restore-event';
import { StrategyCommand } from './strategy-command';
import { ParamSchema, StrategyParams } from '../spec/param-schema';

/** Read-only page state as the strategy sees it (folded from the events so far). */
export interface PageStateView {
  isPresent(pid: number, page: number): boolean;
  isInFlight(pid: number, page: number): boolean;
  /** Registered with uffd, not present, not in flight: a demand fault would hit it. */
  isLazy(pid: number, page: number): boolean;
  /** The remaining lazy ranges of a process, ascending, split at VMA boundaries (seed 003). */
  lazyRanges(pid: number): readonly PageRange[];
  /**
   * The remaining lazy range holding `page` (cut to start at `page`), else the next one above it;
   * undefined when there is none (no wrap). Cheap: no copy of the list. Its pages may be in flight.
   */
  lazyRangeFrom(pid: number, page: number): PageRange | undefined;
  /**
   * The first run of at most `max` pages at or after `page` that a copy would queue now (lazy: not
   * present, not in flight), inside one lazy range; undefined when there is none (no wrap).
   */
  lazyRunFrom(pid: number, page: number, max: number): PageRange | undefined;
  lazyPageCount(pid: number): number;
}

/**
 * What a strategy may know of the workload: its generator's name. Not its spec, parameters or
 * traces: the restore-phase accesses are the future, and a spec with its seed would regenerate it.
 */
export interface WorkloadInfo {
  readonly name: string;
}

/** Plan time: before the restored process runs (DESIGN.md, three moments). */
export interface PlanContext {
  readonly image: Image;
  readonly workload: WorkloadInfo;
  /** The accesses before the migrate marker: what a source-side profiler saw (copies of them). */
  sourcePhase(pid: number): { readonly page: Uint32Array; readonly write: Uint8Array };
  adviseBeforeFill(pid: number, vma: number, advice: ThpAdvice): void;
  adviseAfterRegister(pid: number, vma: number, advice: ThpAdvice): void;
  /** Fill pages before uffd registration, in the ancestor before fork (children inherit them COW). */
  prefill(range: PageRange): void;
  /** UFFDIO_COPY after registration, before the workload starts. */
  precopy(range: PageRange): void;
  /** A fault-time window applied by the backend inside the demand fault. pid/vma undefined: everywhere. */
  faultWindow(rule: FaultWindowRule, scope?: { pid?: number; vma?: number }): void;
  /** Fault-time rules of a process beyond the window (model/plan.ts FaultRules); the last set wins. */
  faultRules(pid: number, rules: Partial<FaultRules>): void;
  /** Pre-copy rounds from the live source before the restore (model/precopy.ts); single-process images. */
  precopyRounds(spec: PrecopyRoundsSpec): void;
}

/** Reactive time: streams, state, a scheduler. Commands are returned as an Observable (saga style). */
export interface StrategyContext {
  readonly image: Image;
  readonly workload: WorkloadInfo;
  readonly state: PageStateView;
  /** Virtual time in the simulator, the real clock on Linux; time unit ms as everywhere in RxJS. */
  readonly scheduler: SchedulerLike;
  /** ns on the run's clock. */
  now(): number;
  readonly all$: Observable<RestoreEvent>;
  readonly faults$: Observable<FaultRaisedEvent>;
  readonly faultResolved$: Observable<FaultResolvedEvent>;
  readonly copies$: Observable<PagesCopiedEvent>;
  readonly vmaRegistered$: Observable<VmaRegisteredEvent>;
  readonly forks$: Observable<ProcessForkedEvent>;
  /** Emits once when the workload starts running (after plan and precopy). */
  readonly workloadStarted$: Observable<RestoreEvent>;
  readonly workloadEnded$: Observable<RestoreEvent>;
  /** The events of one kind, typed: `ctx.on(EventKind.CopyRejected)` is an Observable<CopyRejectedEvent>. */
  on<K extends EventKind>(kind: K): Observable<EventOf<K>>;
  /** As on(), for a kind given as a plain number. */
  events$(kind: number): Observable<RestoreEvent>;
}

/**
 * One instance per run. Any method may be omitted. A strategy never reads the wall clock and never
 * blocks; if any method throws (or its command stream errors) the core detaches it, records a
 * StrategyFailed event, and the restore completes by demand paging.
 */
export interface Strategy {
  plan?(ctx: PlanContext): void;
  attach?(ctx: StrategyContext): Observable<StrategyCommand> | void;
}

/**
 * A contribution point (Theia style): bind one per strategy with
 * `bind(StrategyContribution).toConstantValue(...)` in a ContainerModule.
 */
export const StrategyContribution = Symbol('StrategyContribution');
export interface StrategyContribution {
  readonly name: string;
  /** One line. */
  readonly description: string;
  readonly params: ParamSchema;
  /** Decisions depend only on the event order, not on timing: sim and Linux must agree exactly. */
  readonly deterministic: boolean;
  create(params: StrategyParams): Strategy;
}

export type { ProcessTrace };
