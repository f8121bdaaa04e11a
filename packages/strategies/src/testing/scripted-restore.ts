import {
  AttachedStrategy,
  BackendPort,
  CopyCause,
  CopyPriority,
  EventKind,
  EventStore,
  FaultRules,
  findProcess,
  PageFlag,
  PrefillSource,
  RejectReason,
  RestoreSession,
  StrategyContribution,
  StrategyParams,
  ThpAdvice,
  ThpAdviceCode,
  vmaOfPage,
  Workload,
} from '@restorelab/core';
import { queueScheduler } from 'rxjs';

export interface SubmittedCopy {
  readonly pid: number;
  readonly page: number;
  readonly count: number;
  readonly cause: CopyCause;
  readonly priority: CopyPriority;
}

/** A strategy instance as the registry would attach it, for tests. */
export function attached(c: StrategyContribution, params: StrategyParams = {}): AttachedStrategy {
  return { name: c.name, spec: c.name, instance: c.create(params) };
}

/**
 * A backend reduced to a script, for strategy unit tests: a real RestoreSession, and the protocol's
 * events emitted step by step by the test (setUp, startWorkload, fault, serve). Copies strategies
 * submit wait in a priority queue until serve() runs them. Simplified: no THP collapse, no cost
 * model; the clock advances 1 µs per step.
 */
export class ScriptedRestore {
  readonly store = new EventStore();
  readonly session: RestoreSession;
  /** Every copy the session handed to the port, in order. */
  readonly submitted: SubmittedCopy[] = [];
  readonly madvised: { pid: number; vma: number; advice: ThpAdvice }[] = [];
  /** Every fault-rules change a strategy made, in order. */
  readonly rulesSet: { pid: number; rules: FaultRules }[] = [];
  private readonly queues: SubmittedCopy[][] = [[], [], []];
  private t = 0;

  constructor(
    readonly workload: Workload,
    strategies: readonly AttachedStrategy[],
  ) {
    this.session = new RestoreSession(workload, strategies, this.store);
  }

  private get image() {
    return this.workload.image;
  }

  private tick(): number {
    return (this.t += 1000);
  }

  private emit(kind: number, pid: number, a = 0, b = 0, c = 0, d = 0): void {
    this.session.emit(kind, this.tick(), pid, a, b, c, d);
  }

  /** Startup as in the protocol: plan steps, forks, registration, precopy. */
  setUp(): this {
    const procs = this.image.processes;
    const total = procs.reduce((n, p) => n + p.totalPages, 0);
    this.emit(EventKind.RestoreStarted, 0, this.session.initialLazyPages, procs.length, total);
    const port: BackendPort = {
      scheduler: queueScheduler,
      now: () => this.t,
      submitCopy: (pid, page, count, cause, priority, reactsTo, queuedSeq) => {
        const c = { pid, page, count, cause, priority };
        this.submitted.push(c);
        this.queues[priority].push(c);
        this.emit(EventKind.CopyLanded, pid, page, count, reactsTo, queuedSeq);
      },
      submitFaultRules: (pid, rules, reactsTo) => {
        this.rulesSet.push({ pid, rules });
        this.emit(EventKind.FaultRulesSet, pid, rules.stride?.stride ?? 0, rules.stride?.count ?? 0, rules.successors?.targets.length ?? 0, reactsTo);
      },
      submitMadvise: (pid, vma, advice) => {
        this.madvised.push({ pid, vma, advice });
        this.emit(EventKind.MadviseApplied, pid, vma, ThpAdviceCode[advice], 1);
      },
    };
    this.session.start(port);
    const plan = this.session.plan;
    for (const p of procs) {
      for (const s of plan.adviseBeforeFill) if (s.pid === p.pid) this.emit(EventKind.MadviseApplied, p.pid, s.vma, ThpAdviceCode[s.advice], 1);
      for (const r of plan.prefill) {
        if (r.pid === p.pid) this.emit(EventKind.PagesPrefilled, p.pid, r.page, r.count, r.source === 'image' ? PrefillSource.Image : PrefillSource.Strategy);
      }
      for (const child of procs) {
        if (child.parent !== p.pid) continue;
        this.emit(EventKind.ProcessForked, p.pid, child.pid);
        this.runs(0, child.totalPages, (i) => (child.pageFlags[i] & PageFlag.SharedWithParent) !== 0 && this.session.state.isPresent(p.pid, i), (page, count, yes) => {
          if (yes) this.emit(EventKind.PagesPrefilled, child.pid, page, count, PrefillSource.Inherited);
        });
      }
    }
    for (const p of procs) for (const v of p.vmas) this.emit(EventKind.VmaRegistered, p.pid, v.index, v.firstPage, v.pages, 1);
    for (const s of plan.adviseAfterRegister) this.emit(EventKind.MadviseApplied, s.pid, s.vma, ThpAdviceCode[s.advice], 1);
    for (const r of plan.precopy) {
      const proc = findProcess(this.image, r.pid);
      for (let i = r.page; i < r.page + r.count; ) {
        const v = vmaOfPage(proc, i)!;
        const end = Math.min(r.page + r.count, v.firstPage + v.pages);
        this.runs(i, end, (k) => !this.session.state.isPresent(r.pid, k), (page, count, lazy) => {
          if (lazy) this.emit(EventKind.PagesCopied, r.pid, page, count, CopyCause.Precopy, Math.ceil(count / 512));
        });
        i = end;
      }
    }
    return this;
  }

  /** WorkloadStarted for one process, or for all. */
  startWorkload(pid?: number): this {
    for (const p of this.image.processes) {
      if (pid === undefined || p.pid === pid) this.emit(EventKind.WorkloadStarted, p.pid, 0);
    }
    return this;
  }

  /** A demand fault as the protocol serves it, fault-time window included. False if the page is present. */
  fault(pid: number, page: number): boolean {
    const state = this.session.state;
    if (state.isPresent(pid, page)) return false;
    const proc = findProcess(this.image, pid);
    this.emit(EventKind.FaultRaised, pid, page, 1, 0);
    if (!(proc.pageFlags[page] & PageFlag.Content)) {
      this.emit(EventKind.ZeroPageMapped, pid, page, 1);
    } else {
      const v = vmaOfPage(proc, page)!;
      const w = this.session.windowFor(pid, v.index);
      const ok = (i: number) => state.isLazy(pid, i) && (proc.pageFlags[i] & PageFlag.Content) !== 0;
      let lo = page;
      while (lo > v.firstPage && page - lo < w.backward && ok(lo - 1)) lo--;
      let hi = page;
      while (hi + 1 < v.firstPage + v.pages && hi - page < w.forward && ok(hi + 1)) hi++;
      if (lo < page) this.emit(EventKind.PagesCopied, pid, lo, page - lo, CopyCause.Prefetch, 0);
      this.emit(EventKind.PagesCopied, pid, page, 1, CopyCause.Demand, 1);
      if (hi > page) this.emit(EventKind.PagesCopied, pid, page + 1, hi - page, CopyCause.Prefetch, 0);
    }
    this.emit(EventKind.FaultResolved, pid, page, 1000);
    return true;
  }

  /** Touches pages in order, faulting on those not present; returns the faults taken. */
  touch(pid: number, pages: Iterable<number>): number {
    let faults = 0;
    for (const p of pages) if (this.fault(pid, p)) faults++;
    return faults;
  }

  get queued(): number {
    return this.queues.reduce((n, q) => n + q.length, 0);
  }

  /** Runs up to `max` queued copies, most urgent first, FIFO within a priority; returns how many ran. */
  serve(max = Infinity): number {
    let served = 0;
    while (served < max) {
      const q = this.queues.find((x) => x.length > 0);
      if (!q) break;
      const c = q.shift()!;
      this.runs(c.page, c.page + c.count, (i) => !this.session.state.isPresent(c.pid, i), (page, count, lazy) => {
        if (lazy) this.emit(EventKind.PagesCopied, c.pid, page, count, c.cause, 1);
        else this.emit(EventKind.CopyRejected, c.pid, page, count, RejectReason.Eexist, c.cause);
      });
      served++;
    }
    return served;
  }

  finish(): void {
    this.emit(EventKind.RestoreEnded, 0);
    this.session.finish();
  }

  /** Calls fn for each maximal run of [from, to) with the same test result. */
  private runs(from: number, to: number, test: (page: number) => boolean, fn: (page: number, count: number, yes: boolean) => void): void {
    let i = from;
    while (i < to) {
      const yes = test(i);
      let j = i + 1;
      while (j < to && test(j) === yes) j++;
      fn(i, j - i, yes);
      i = j;
    }
  }
}
