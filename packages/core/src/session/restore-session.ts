import { EMPTY, Observable, Subject, Subscription, catchError, takeUntil } from 'rxjs';
import { BackendPort } from '../backend/restore-backend';
import {
  CopyCause,
  CopyPriority,
  EventKind,
  EVENT_KIND_COUNT,
  RejectReason,
  ThpAdviceCode,
} from '../events/event-kind';
import { IndexFifo } from '../collections/index-fifo';
import { EventSink } from '../events/event-sink';
import { EventStore } from '../events/event-store';
import { decodeEvent, RestoreEvent } from '../events/restore-event';
import { Image, PageFlag, ProcessImage, ThpAdvice, vmaOfPage } from '../model/image';
import { PageRange } from '../model/page';
import { AdviceStep, FaultWindowRule, PrefillRange, ProcessFaultRules, RestorePlan } from '../model/plan';
import { checkFaultRules } from './check-fault-rules';
import { Workload } from '../model/workload';
import { PageState } from '../state/page-state';
import { PlanContext, Strategy, StrategyContext, WorkloadInfo } from '../strategy/strategy';
import { StrategyCommand } from '../strategy/strategy-command';
import { guardedScheduler } from './guarded-scheduler';
import { EventHub } from './event-hub';
import { IsolatedObservable } from './isolated-observable';

export interface AttachedStrategy {
  /** The strategy's name, e.g. neighbor-prefetch. */
  readonly name: string;
  /** How it was asked for, e.g. neighbor-prefetch:window=16. */
  readonly spec: string;
  readonly instance: Strategy;
}

interface PlanFailure {
  readonly index: number;
  readonly error: unknown;
}

const NO_WINDOW: FaultWindowRule = { forward: 0, backward: 0 };

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * One restore: the workload, the strategies, the event log and the page-state projection.
 * Backends append facts with emit(); strategies see them as Observables and answer with commands,
 * which the session checks (range, duplicates) before handing them to the backend's port.
 * Core invariants: a page is never queued twice (the duplicate is counted as CopyRejected
 * duplicate); a strategy that throws is detached and reported; demand faults are the backend's
 * and never wait for a strategy.
 */
export class RestoreSession implements EventSink {
  readonly image: Image;
  readonly state: PageState;
  readonly plan: RestorePlan;
  /** Pages that are lazy when the workload starts if no strategy copies anything: all registered pages minus prefill. */
  readonly initialLazyPages: number;

  private readonly hubs: (EventHub<RestoreEvent> | undefined)[] = new Array(EVENT_KIND_COUNT);
  private allHub: EventHub<RestoreEvent> | undefined;
  private readonly failed: boolean[];
  private readonly subscriptions = new Subscription();
  /** Ends a strategy's command stream when it is detached. */
  private readonly detached: Subject<void>[];
  private readonly windows = new Map<number, FaultWindowRule[]>();
  private readonly planFailures: PlanFailure[] = [];
  private port: BackendPort | undefined;
  private listeners = 0;
  private readonly pending = new IndexFifo();
  private delivering = false;
  /** The latest event handed to the strategies' streams: what a command can be reacting to. */
  private lastDelivered = -1;
  private readonly procByPid = new Map<number, ProcessImage>();
  private readonly workloadInfo: WorkloadInfo;

  constructor(
    readonly workload: Workload,
    readonly strategies: readonly AttachedStrategy[],
    readonly store: EventStore,
  ) {
    this.image = workload.image;
    this.detached = strategies.map(() => new Subject<void>());
    this.workloadInfo = Object.freeze({ name: workload.name });
    for (const p of this.image.processes) this.procByPid.set(p.pid, p);
    this.state = new PageState(this.image);
    this.failed = strategies.map(() => false);
    this.plan = this.buildPlan();
    this.initialLazyPages = this.countInitialLazy();
  }

  // ---- facts --------------------------------------------------------------------------------

  append(kind: number, t: number, pid: number, a: number, b: number, c: number, d: number): number {
    return this.emit(kind, t, pid, a, b, c, d);
  }

  intern(s: string): number {
    return this.store.intern(s);
  }

  emit(kind: number, t: number, pid: number, a: number, b: number, c: number, d: number): number {
    const seq = this.store.append(kind, t, pid, a, b, c, d);
    this.state.apply(kind, pid, a, b, c, d);
    if (this.listeners > 0) {
      const s = this.hubs[kind];
      const all = this.allHub;
      if ((s && s.observed) || (all && all.observed)) {
        this.pending.push(seq);
        if (!this.delivering) this.deliver();
      }
    }
    return seq;
  }

  /**
   * Hands the pending events to the streams in log order. An event emitted while one is being
   * delivered (a strategy copying inside its handler) waits until every subscriber had the earlier
   * one, so every stream sees the log's order.
   */
  private deliver(): void {
    this.delivering = true;
    const st = this.store;
    try {
      for (let seq = this.pending.shift(); seq >= 0; seq = this.pending.shift()) {
        const kind = st.kind[seq];
        const ev = decodeEvent(seq, kind, st.t[seq], st.pid[seq], st.a[seq], st.b[seq], st.c[seq], st.d[seq]);
        this.lastDelivered = seq;
        this.hubs[kind]?.next(ev);
        this.allHub?.next(ev);
      }
    } finally {
      this.delivering = false;
    }
  }

  // ---- plan ---------------------------------------------------------------------------------

  /** The combined fault-time window for a VMA: the widest rule any live strategy installed. */
  windowFor(pid: number, vma: number): FaultWindowRule {
    return this.windows.get(pid * 65536 + vma)?.[0] ?? NO_WINDOW;
  }

  get hasFaultWindows(): boolean {
    return this.windows.size > 0;
  }

  private buildPlan(): RestorePlan {
    const adviseBeforeFill: AdviceStep[] = [];
    const adviseAfterRegister: AdviceStep[] = [];
    const prefill: PrefillRange[] = [];
    const precopy: PageRange[] = [];
    const windowRules: { rule: FaultWindowRule; scope?: { pid?: number; vma?: number } }[] = [];
    const faultRules = new Map<number, ProcessFaultRules>();

    for (const p of this.image.processes) {
      forEachRun(p.pageFlags, PageFlag.Precopied, (page, count) =>
        prefill.push({ pid: p.pid, page, count, source: 'image' }),
      );
    }

    this.strategies.forEach((s, index) => {
      if (!s.instance.plan) return;
      const mine = {
        adviseBeforeFill: [] as AdviceStep[],
        adviseAfterRegister: [] as AdviceStep[],
        prefill: [] as PrefillRange[],
        precopy: [] as PageRange[],
        windows: [] as typeof windowRules,
        rules: [] as ProcessFaultRules[],
      };
      const ctx: PlanContext = {
        image: this.image,
        workload: this.workloadInfo,
        sourcePhase: (pid) => this.sourcePhase(pid),
        adviseBeforeFill: (pid, vma, advice) => mine.adviseBeforeFill.push({ pid, vma, advice: checkAdvice(advice) }),
        adviseAfterRegister: (pid, vma, advice) =>
          mine.adviseAfterRegister.push({ pid, vma, advice: checkAdvice(advice) }),
        prefill: (r) => mine.prefill.push({ ...this.checkRange(r), source: 'strategy' }),
        precopy: (r) => mine.precopy.push(this.checkRange(r)),
        faultWindow: (rule, scope) => {
          if (!(rule.forward >= 0 && rule.backward >= 0)) throw new Error('fault window sizes must be >= 0');
          mine.windows.push({ rule: { forward: rule.forward | 0, backward: rule.backward | 0 }, scope });
        },
        faultRules: (pid, rules) => {
          const proc = this.procByPid.get(pid);
          if (!proc) throw new Error(`fault rules name pid ${pid}, which the image does not have`);
          mine.rules.push({ pid, ...checkFaultRules(proc, rules) });
        },
      };
      try {
        s.instance.plan(ctx);
      } catch (error) {
        this.failed[index] = true;
        this.planFailures.push({ index, error });
        return;
      }
      adviseBeforeFill.push(...mine.adviseBeforeFill);
      adviseAfterRegister.push(...mine.adviseAfterRegister);
      prefill.push(...mine.prefill);
      precopy.push(...mine.precopy);
      windowRules.push(...mine.windows);
      for (const r of mine.rules) faultRules.set(r.pid, r);
    });

    for (const p of this.image.processes) {
      for (const v of p.vmas) {
        let fwd = 0;
        let back = 0;
        for (const w of windowRules) {
          if (w.scope?.pid !== undefined && w.scope.pid !== p.pid) continue;
          if (w.scope?.vma !== undefined && w.scope.vma !== v.index) continue;
          fwd = Math.max(fwd, w.rule.forward);
          back = Math.max(back, w.rule.backward);
        }
        if (fwd > 0 || back > 0) this.windows.set(p.pid * 65536 + v.index, [{ forward: fwd, backward: back }]);
      }
    }
    return { adviseBeforeFill, prefill: mergePrefill(prefill), adviseAfterRegister, precopy, faultRules: [...faultRules.values()] };
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

  private checkRange(r: PageRange): PageRange {
    const p = this.image.processes.find((x) => x.pid === r.pid);
    if (!p) throw new Error(`range names pid ${r.pid}, which the image does not have`);
    if (!(Number.isInteger(r.page) && Number.isInteger(r.count) && r.page >= 0 && r.count > 0))
      throw new Error(`bad page range ${r.page}+${r.count}`);
    if (r.page + r.count > p.totalPages) throw new Error(`range ${r.page}+${r.count} is past the end of pid ${r.pid}`);
    return { pid: r.pid, page: r.page, count: r.count };
  }

  // ---- reactive -----------------------------------------------------------------------------

  /** Called by the backend when the clock runs, before the workload starts. */
  start(port: BackendPort): void {
    this.port = port;
    const t = port.now();
    this.strategies.forEach((s, i) => {
      this.emit(EventKind.StrategyAttached, t, 0, this.intern(s.spec), i, 0, 0);
    });
    for (const f of this.planFailures) this.reportFailure(f.index, f.error);
    this.strategies.forEach((s, i) => {
      if (this.failed[i] || !s.instance.attach) return;
      const ctx = this.contextFor(i);
      let commands: Observable<StrategyCommand> | void;
      try {
        commands = s.instance.attach(ctx);
      } catch (e) {
        this.fail(i, e);
        return;
      }
      if (!commands) return;
      this.subscriptions.add(
        commands
          .pipe(
            takeUntil(this.detached[i]),
            catchError((e) => {
              this.fail(i, e);
              return EMPTY;
            }),
          )
          .subscribe((cmd) => this.execute(i, cmd)),
      );
    });
  }

  /** Unsubscribes every strategy and completes every stream. */
  finish(): void {
    this.subscriptions.unsubscribe();
    this.detached.forEach((d) => {
      d.next();
      d.complete();
    });
    for (const h of this.hubs) h?.complete();
    this.allHub?.complete();
    this.port = undefined;
  }

  isFailed(index: number): boolean {
    return this.failed[index];
  }

  private contextFor(i: number): StrategyContext {
    const port = this.port!;
    const guard = (e: unknown) => this.fail(i, e);
    const stream = <T extends RestoreEvent>(kind: number | 'all'): Observable<T> =>
      IsolatedObservable.from(this.hub(kind).observable(i), guard) as unknown as Observable<T>;
    return {
      image: this.image,
      workload: this.workloadInfo,
      state: this.state,
      scheduler: guardedScheduler(port.scheduler, guard),
      now: () => port.now(),
      all$: stream('all'),
      faults$: stream(EventKind.FaultRaised),
      faultResolved$: stream(EventKind.FaultResolved),
      copies$: stream(EventKind.PagesCopied),
      vmaRegistered$: stream(EventKind.VmaRegistered),
      forks$: stream(EventKind.ProcessForked),
      workloadStarted$: stream(EventKind.WorkloadStarted),
      workloadEnded$: stream(EventKind.WorkloadEnded),
      events$: (kind) => stream(kind),
    };
  }

  private hub(kind: number | 'all'): EventHub<RestoreEvent> {
    this.listeners++;
    if (kind === 'all') return (this.allHub ??= new EventHub<RestoreEvent>());
    if (!(kind >= 1 && kind < EVENT_KIND_COUNT)) throw new Error(`unknown event kind ${kind}`);
    return (this.hubs[kind] ??= new EventHub<RestoreEvent>());
  }

  private fail(i: number, e: unknown): void {
    if (this.failed[i]) return;
    this.failed[i] = true;
    this.reportFailure(i, e);
    this.detached[i].next();
    for (const h of this.hubs) h?.completeOwner(i);
    this.allHub?.completeOwner(i);
  }

  private reportFailure(i: number, e: unknown): void {
    const t = this.port ? this.port.now() : 0;
    this.emit(EventKind.StrategyFailed, t, 0, this.intern(this.strategies[i].spec), this.intern(errorMessage(e)), i, 0);
  }

  private execute(i: number, cmd: StrategyCommand): void {
    if (this.failed[i] || !this.port) return;
    if (cmd.type === 'copy') {
      const cause = CAUSE_CODE[cmd.cause];
      const priority = PRIORITY_CODE[cmd.priority];
      if (cause === undefined || cause === CopyCause.Demand) throw new Error(`unknown copy cause '${cmd.cause}'`);
      if (priority === undefined) throw new Error(`unknown copy priority '${cmd.priority}'`);
      this.copy(cmd.pid, cmd.page, cmd.count, cause, priority);
    }
    else if (cmd.type === 'madvise') this.port.submitMadvise(cmd.pid, cmd.vma, checkAdvice(cmd.advice));
    else if (cmd.type === 'fault-rules') {
      const proc = this.procByPid.get(cmd.pid);
      if (!proc) throw new Error(`fault rules name pid ${cmd.pid}, which the image does not have`);
      this.port.submitFaultRules(cmd.pid, checkFaultRules(proc, cmd), this.lastDelivered);
    }
    else throw new Error(`unknown command ${(cmd as { type: string }).type}`);
  }

  /**
   * Queue an asynchronous copy: split at VMA boundaries, drop (and count) pages that are not lazy,
   * queue the lazy runs. Returns the pages queued.
   */
  copy(pid: number, page: number, count: number, cause: CopyCause, priority: CopyPriority): number {
    const port = this.port;
    if (!port) return 0;
    const t = port.now();
    const proc = this.procByPid.get(pid);
    if (!proc || !(count > 0) || page < 0 || page + count > proc.totalPages || !Number.isInteger(page) || !Number.isInteger(count)) {
      this.emit(EventKind.CopyRejected, t, pid, page, count, RejectReason.OutOfRange, cause);
      return 0;
    }
    let queued = 0;
    let i = page;
    const end = page + count;
    while (i < end) {
      const vma = vmaOfPage(proc, i)!;
      const vEnd = Math.min(end, vma.firstPage + vma.pages);
      while (i < vEnd) {
        const lazy = this.state.isLazy(pid, i);
        let j = i + 1;
        while (j < vEnd && this.state.isLazy(pid, j) === lazy) j++;
        if (lazy) {
          const queuedSeq = this.emit(EventKind.CopyQueued, t, pid, i, j - i, cause, priority);
          port.submitCopy(pid, i, j - i, cause, priority, this.lastDelivered, queuedSeq);
          queued += j - i;
        } else {
          this.emit(EventKind.CopyRejected, t, pid, i, j - i, RejectReason.Duplicate, cause);
        }
        i = j;
      }
    }
    return queued;
  }
}

const CAUSE_CODE: Readonly<Record<string, CopyCause>> = { prefetch: CopyCause.Prefetch, precopy: CopyCause.Precopy, background: CopyCause.Background, demand: CopyCause.Demand };
const PRIORITY_CODE: Readonly<Record<string, CopyPriority>> = { urgent: CopyPriority.Urgent, prefetch: CopyPriority.Prefetch, background: CopyPriority.Background };

function checkAdvice(a: ThpAdvice): ThpAdvice {
  if (!(a in ThpAdviceCode)) throw new Error(`unknown THP advice '${a}'`);
  return a;
}

/** Calls fn(start, count) for each run of pages whose flags have `bit`. */
export function forEachRun(flags: Uint8Array, bit: number, fn: (page: number, count: number) => void): void {
  let run = -1;
  for (let i = 0; i <= flags.length; i++) {
    const on = i < flags.length && (flags[i] & bit) !== 0;
    if (on && run < 0) run = i;
    else if (!on && run >= 0) {
      fn(run, i - run);
      run = -1;
    }
  }
}

function mergePrefill(ranges: PrefillRange[]): PrefillRange[] {
  const byPid = new Map<number, PrefillRange[]>();
  for (const r of ranges) {
    const l = byPid.get(r.pid) ?? [];
    l.push(r);
    byPid.set(r.pid, l);
  }
  const out: PrefillRange[] = [];
  for (const [pid, l] of byPid) {
    l.sort((x, y) => x.page - y.page);
    let cur: { page: number; end: number; source: PrefillRange['source'] } | undefined;
    for (const r of l) {
      if (cur && r.page <= cur.end && r.source === cur.source) cur.end = Math.max(cur.end, r.page + r.count);
      else if (cur && r.page < cur.end) {
        // overlapping ranges of different sources: keep the first, add only the new tail
        if (r.page + r.count > cur.end) {
          out.push({ pid, page: cur.page, count: cur.end - cur.page, source: cur.source });
          cur = { page: cur.end, end: r.page + r.count, source: r.source };
        }
      } else {
        if (cur) out.push({ pid, page: cur.page, count: cur.end - cur.page, source: cur.source });
        cur = { page: r.page, end: r.page + r.count, source: r.source };
      }
    }
    if (cur) out.push({ pid, page: cur.page, count: cur.end - cur.page, source: cur.source });
  }
  return out;
}
