import { Observable, Subscription } from 'rxjs';
import { BackendSession, EventLogView } from '../backend/backend-session';
import { BackendPort } from '../backend/backend-port';
import { CopyCause, CopyPriority, EventKind, SwitchReason } from '../events/event-kind';
import { EventStore } from '../events/event-store';
import { RestoreEvent } from '../events/restore-event';
import { validateImage } from '../image/validate-image';
import { Image } from '../model/image';
import { FaultWindowRule, RestorePlan } from '../model/plan';
import { PrecopyRoundStat } from '../model/precopy';
import { switchReason } from './switch-reason';
import { Workload } from '../model/workload';
import { PageState } from '../state/page-state';
import { AttachedStrategy } from '../strategy/attached-strategy';
import { Strategy, StrategyContext, WorkloadInfo } from '../strategy/strategy';
import { StrategyCommand } from '../strategy/strategy-command';
import { CommandGate } from './command-gate';
import { CommandSubscriber } from './command-subscriber';
import { EventBus } from './event-bus';
import { guardedScheduler } from './guarded-scheduler';
import { installProcessGuard, StrategyZone } from './strategy-zone';
import { IsolatedObservable } from './isolated-observable';
import { buildPlan, PlanFailure, windowKey } from './plan-builder';

export type { AttachedStrategy } from '../strategy/attached-strategy';
export { forEachRun } from './plan-builder';

const NO_WINDOW: FaultWindowRule = { forward: 0, backward: 0 };
/** The most events a session makes room for up front (about 30 MB of columns). */
const EVENTS_RESERVED_MAX = 1 << 19;

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * One restore: the workload, the strategies, the event log and the page-state projection, put
 * together from the bus (event-bus.ts), the plan (plan-builder.ts) and the command gate
 * (command-gate.ts). Backends see it as a BackendSession. Core invariants: a page is never queued
 * twice; a strategy that throws is detached and reported; demand faults are the backend's and
 * never wait for a strategy.
 */
export class RestoreSession implements BackendSession {
  readonly image: Image;
  readonly state: PageState;
  readonly plan: RestorePlan;
  readonly initialLazyPages: number;
  readonly promptEvents: boolean;
  readonly log: EventLogView;

  private readonly bus: EventBus;
  private readonly windows: ReadonlyMap<number, FaultWindowRule>;
  private readonly planFailures: readonly PlanFailure[];
  private readonly failed: boolean[];
  private readonly subscriptions = new Subscription();
  /** Each strategy's command stream, ended when it is detached. */
  private readonly commandSubs: (Subscription | undefined)[];
  private port: BackendPort | undefined;
  private gate: CommandGate | undefined;
  private readonly workloadInfo: WorkloadInfo;
  /** Each strategy's zone: its timers and promises fail it, not the process. */
  private readonly zones: StrategyZone[];

  constructor(
    readonly workload: Workload,
    readonly strategies: readonly AttachedStrategy[],
    readonly store: EventStore,
    /** What warmUp() runs when a strategy reacts (runRestore: new instances of the stack on a throwaway session). */
    private readonly warmUpStack?: () => void,
  ) {
    this.image = workload.image;
    validateImage(this.image, `image ${this.image.name}`);
    this.commandSubs = strategies.map(() => undefined);
    this.workloadInfo = Object.freeze({ name: workload.name });
    this.state = new PageState(this.image);
    this.zones = strategies.map((s, i) => new StrategyZone(s.spec, (e) => this.fail(i, e)));
    this.bus = new EventBus(store, this.state, (owner) => this.zones[owner]);
    this.log = { get length() { return store.length; }, timeOf: (seq) => store.t[seq] };
    const built = buildPlan({ image: this.image, workload: this.workloadInfo, strategies, sourcePhase: (pid) => this.sourcePhase(pid) });
    this.plan = built.plan;
    this.windows = built.windows;
    this.planFailures = built.failures;
    this.failed = strategies.map((_, i) => built.failures.some((f) => f.index === i));
    this.initialLazyPages = this.countInitialLazy();
    this.promptEvents = strategies.some((s) => s.instance.attach !== undefined);
    // a demand fault is about six events: the log's columns are not copied mid-restore
    store.reserve(Math.min(EVENTS_RESERVED_MAX, 8 * this.image.processes.reduce((n, p) => n + p.totalPages, 0) + 4096));
  }

  get pages(): PageState {
    return this.state;
  }

  intern(s: string): number {
    return this.store.intern(s);
  }

  emit(kind: number, t: number, pid: number, a: number, b: number, c: number, d: number): number {
    return this.bus.emit(kind, t, pid, a, b, c, d);
  }

  batch<R>(emits: () => R): R {
    return this.bus.batch(emits);
  }

  /** The combined fault-time window for a VMA: the widest rule any live strategy installed. */
  windowFor(pid: number, vma: number): FaultWindowRule {
    return this.windows.get(windowKey(pid, vma)) ?? NO_WINDOW;
  }

  get hasFaultWindows(): boolean {
    return this.windows.size > 0;
  }

  /**
   * A process's accesses before the migrate marker, copied for each caller: a view of the trace's
   * buffer would let a strategy read past the marker into the restore phase (and writes to a
   * shared copy would reach other strategies).
   */
  private sourcePhase(pid: number): { readonly page: Uint32Array; readonly write: Uint8Array } {
    const tr = this.workload.traces.find((x) => x.pid === pid);
    if (!tr) throw new Error(`no trace for pid ${pid}`);
    const end = Math.min(tr.migrateAt, tr.page.length);
    return { page: tr.page.slice(0, end), write: tr.write.slice(0, end) };
  }

  private countInitialLazy(): number {
    let total = 0;
    for (const p of this.image.processes) total += p.totalPages;
    for (const r of this.plan.prefill) total -= r.count;
    return total;
  }

  switchOverReason(rounds: readonly PrecopyRoundStat[]): SwitchReason | null {
    const spec = this.plan.precopyRounds;
    if (!spec) return SwitchReason.MaxRounds;
    const owner = spec.owner;
    const decide = spec.switchWhen;
    if (!decide || this.failed[owner]) return switchReason({ ...spec, switchWhen: undefined }, rounds);
    return switchReason(
      {
        ...spec,
        switchWhen: (r) => {
          try {
            return decide(Object.freeze(r.map((x) => Object.freeze({ ...x })))) === true;
          } catch (e) {
            this.fail(owner, e);
            return false;
          }
        },
      },
      rounds,
    );
  }

  /** Before the clock, when a strategy reacts: what the session was given to warm the stack up with. */
  warmUp(): void {
    if (this.promptEvents) this.warmUpStack?.();
  }

  /** Called by the backend when the clock runs, before the workload starts. */
  start(port: BackendPort): void {
    this.port = port;
    this.gate = new CommandGate(this.image.processes, this.bus, this.state, port);
    const t = port.now();
    this.strategies.forEach((s, i) => {
      this.emit(EventKind.StrategyAttached, t, 0, this.intern(s.spec), i, 0, 0);
    });
    for (const f of this.planFailures) this.reportFailure(f.index, f.error);
    if (this.promptEvents) installProcessGuard();
    this.strategies.forEach((s, i) => {
      if (this.failed[i] || !s.instance.attach) return;
      this.zones[i].run(() => this.attach(i, s.instance));
    });
  }

  private attach(i: number, strategy: Strategy): void {
    const ctx = this.contextFor(i);
    let commands: Observable<StrategyCommand> | void;
    try {
      commands = strategy.attach!(ctx);
    } catch (e) {
      this.fail(i, e);
      return;
    }
    if (!commands) return;
    const sub = new CommandSubscriber(
      (cmd) => this.execute(i, cmd),
      (e) => this.fail(i, e),
    );
    this.subscriptions.add(sub);
    // set first: a failure while subscribing ends it (fail, endCommands)
    this.commandSubs[i] = sub;
    commands.subscribe(sub);
  }

  private endCommands(i: number): void {
    const sub = this.commandSubs[i];
    this.commandSubs[i] = undefined;
    try {
      sub?.unsubscribe();
    } catch {
      // its own teardown threw while it was being detached: it failed already, with the first error
    }
  }

  /** Unsubscribes every strategy and completes every stream. */
  finish(): void {
    for (const z of this.zones) z.close();
    this.subscriptions.unsubscribe();
    this.bus.complete();
    this.port = undefined;
    this.gate = undefined;
  }

  isFailed(index: number): boolean {
    return this.failed[index];
  }

  /**
   * Queue an asynchronous copy: split at VMA boundaries, drop (and count) pages that are not lazy,
   * queue the lazy runs. Returns the pages queued (0 before start and after finish).
   */
  copy(pid: number, page: number, count: number, cause: CopyCause, priority: CopyPriority): number {
    return this.gate ? this.gate.copy(pid, page, count, cause, priority) : 0;
  }

  private contextFor(i: number): StrategyContext {
    const port = this.port!;
    const guard = (e: unknown) => this.fail(i, e);
    const stream = <T extends RestoreEvent>(kind: number | 'all'): Observable<T> =>
      IsolatedObservable.from(this.bus.stream(kind, i), guard) as unknown as Observable<T>;
    return {
      image: this.image,
      workload: this.workloadInfo,
      state: this.state,
      scheduler: guardedScheduler(port.scheduler, guard, this.zones[i]),
      now: () => port.now(),
      all$: stream('all'),
      faults$: stream(EventKind.FaultRaised),
      faultResolved$: stream(EventKind.FaultResolved),
      copies$: stream(EventKind.PagesCopied),
      vmaRegistered$: stream(EventKind.VmaRegistered),
      forks$: stream(EventKind.ProcessForked),
      workloadStarted$: stream(EventKind.WorkloadStarted),
      workloadEnded$: stream(EventKind.WorkloadEnded),
      on: (kind) => stream(kind),
      events$: (kind) => stream(kind),
    };
  }

  private fail(i: number, e: unknown): void {
    if (this.failed[i]) return;
    this.failed[i] = true;
    this.reportFailure(i, e);
    this.endCommands(i);
    this.bus.completeOwner(i);
  }

  private reportFailure(i: number, e: unknown): void {
    const t = this.port ? this.port.now() : 0;
    this.emit(EventKind.StrategyFailed, t, 0, this.intern(this.strategies[i].spec), this.intern(errorMessage(e)), i, 0);
  }

  private execute(i: number, cmd: StrategyCommand): void {
    if (this.failed[i] || !this.gate) return;
    this.gate.execute(cmd);
  }
}
