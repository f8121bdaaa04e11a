import {
  BackendFacts,
  BackendPort,
  BackendRunOptions,
  CopyCause,
  EventKind,
  FaultFlag,
  FaultRules,
  MAX_COPY_PAGES,
  MAX_REPORTED_MISMATCHES,
  MAX_RULE_PAGES,
  PageFlag,
  PAGES_PER_HUGE_PAGE,
  PAGE_SIZE,
  PrefillSource,
  RejectReason,
  BackendSession,
  ThpAdvice,
  ThpAdviceCode,
  vmaOfPage,
} from '@restorelab/core';
import { CopyQueue } from './copy-queue';
import { CostModel, copyCostNs, FAULT_NEAR_PAGES, faultCopyCostNs, faultIdleCostNs, ruleCopyCostNs } from './cost-model';
import { forEachBitRun, MemoryModel } from './memory-model';
import { ProcessHeap } from './process-heap';
import { PageBit, RunState, SimProcess } from './sim-process';
import { VirtualClock } from './virtual-clock';

/** Accesses (or other simulation steps) between two progress reports and abort checks. */
export const PROGRESS_EVERY = 1 << 16;

const HUGE_PAGE_BYTES = PAGES_PER_HUGE_PAGE * PAGE_SIZE;
/** Present, or claimed by the monitor: a copier call for it fails with EEXIST. */
function isTaken(p: SimProcess, i: number): boolean {
  return (p.flags[i] & PageBit.Claimed) !== 0 || p.pages.present.get(i);
}

/** Lazy, with content, not claimed by the monitor and not in flight: the window or a rule may take it. */
function isWindowable(p: SimProcess, i: number): boolean {
  const pages = p.pages;
  return (p.flags[i] & PageBit.Claimed) === 0 && pages.registered.get(i) && !pages.present.get(i) && (p.image.pageFlags[i] & PageFlag.Content) !== 0 && !pages.inFlight.get(i);
}

/** What the monitor is doing for the fault it serves. */
const Service = { Copy: 0, Zero: 1, Stale: 2, Rules: 3 } as const;
type Service = (typeof Service)[keyof typeof Service];

interface PendingMadvise {
  readonly proc: SimProcess;
  readonly vma: number;
  readonly advice: ThpAdvice;
  readonly at: number;
}

export function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * One simulated restore (see the event protocol in the project brief). Three kinds of actors share
 * a virtual clock: the processes replaying their traces, the monitor (plan steps, then demand
 * faults one at a time in raised order) and the copier lane serving the asynchronous queue.
 * Strategies' reactive commands never run inline: a copy reaches the copier after the decision
 * latency, a madvise applies after its cost, timers run when the clock reaches them.
 */
export class SimRun {
  private readonly procs: SimProcess[];
  private readonly byPid = new Map<number, SimProcess>();
  private readonly clock = new VirtualClock();
  private readonly memory: MemoryModel;
  private readonly copies = new CopyQueue();
  private readonly madvises: PendingMadvise[] = [];
  /** The strategies' thread: the last event it has handled, and when it is free again. */
  private jsSeq = -1;
  private jsClock = -Infinity;
  private readonly ruleChanges: { proc: SimProcess; rules: FaultRules; reactsTo: number; at: number }[] = [];
  private ruleChangeHead = 0;
  /** The pages the served fault's rules add (copied after its wake), and the next run of them. */
  private readonly rulePages = new Uint32Array(MAX_RULE_PAGES);
  private ruleCount = 0;
  private ruleAt = 0;
  private ruleRunEnd = 0;
  /** What copying all of them costs the monitor. */
  private ruleCostNs = 0;
  private madviseHead = 0;
  private readonly port: BackendPort;
  private readonly facts: BackendFacts;
  /** Running processes by the time of their next access. */
  private readonly runnable: ProcessHeap;

  // monitor
  private monitorDoneAt = Infinity;
  private startup: Generator<number, void, void> | undefined;
  private readonly faultQueue: SimProcess[] = [];
  private faultQueueHead = 0;
  private serving: SimProcess | undefined;
  /** When the monitor last finished serving a fault (its idle time cools its caches). */
  private monitorIdleSince = 0;
  private service: Service = Service.Copy;
  private svcPage = 0;
  /** When the monitor took the fault it serves: a fault's logged latency starts here, as on Linux. */
  private svcStartedAt = 0;
  private svcLo = 0;
  private svcHi = 0;

  // copier
  private copyCmd = -1;
  private copyPos = 0;
  private copyEnd = 0;
  private callPage = 0;
  private callCount = 0;
  private callDoneAt = Infinity;

  private running = 0;
  private finished = false;
  private progressLeft = PROGRESS_EVERY;
  private readonly totalAccesses: number;

  constructor(
    private readonly session: BackendSession,
    private readonly cost: CostModel,
  ) {
    const image = session.image;
    const traces = session.workload.traces;
    this.procs = image.processes.map((proc, i) => {
      const trace = traces[i]?.pid === proc.pid ? traces[i] : traces.find((x) => x.pid === proc.pid);
      if (!trace) throw new Error(`workload has no trace for pid ${proc.pid}`);
      return new SimProcess(i, proc, trace, session.pages.process(proc.pid)!);
    });
    for (const p of this.procs) this.byPid.set(p.pid, p);
    for (const r of session.plan.faultRules) {
      const p = this.byPid.get(r.pid);
      if (p) p.rules = r;
    }
    this.runnable = new ProcessHeap(this.procs.length);
    this.memory = new MemoryModel(this.procs, cost.processBaseBytes);
    this.totalAccesses = this.procs.reduce((n, p) => n + p.accesses, 0);
    this.facts = new BackendFacts(session);
    const clock = this.clock;
    this.port = {
      scheduler: clock.scheduler,
      now: () => clock.now,
      submitCopy: (pid, page, count, cause, priority, reactsTo, queuedSeq) => {
        if (this.finished) return;
        const p = this.byPid.get(pid);
        if (!p) throw new Error(`copy for unknown pid ${pid}`);
        this.copies.submit(p.index, page, count, cause, priority, this.landingTime(reactsTo), reactsTo, queuedSeq);
      },
      submitFaultRules: (pid, rules, reactsTo) => {
        if (this.finished) return;
        const p = this.byPid.get(pid);
        if (!p) throw new Error(`fault rules for unknown pid ${pid}`);
        const at = this.landingTime(reactsTo);
        // in landing order: a later change never takes effect before an earlier one
        const last = this.ruleChanges.length > this.ruleChangeHead ? this.ruleChanges[this.ruleChanges.length - 1].at : -Infinity;
        this.ruleChanges.push({ proc: p, rules, reactsTo, at: Math.max(at, last) });
      },
      submitMadvise: (pid, vma, advice) => {
        if (this.finished) return;
        const p = this.byPid.get(pid);
        if (!p) throw new Error(`madvise for unknown pid ${pid}`);
        this.madvises.push({ proc: p, vma, advice, at: clock.now + cost.madviseNs });
      },
    };
  }

  async run(options: BackendRunOptions): Promise<void> {
    const signal = options.signal;
    if (signal?.aborted) throw abortError();
    const s = this.session;
    let total = 0;
    for (const p of this.procs) total += p.image.totalPages;
    this.facts.restoreStarted(0, s.initialLazyPages, this.procs.length, total);
    s.start(this.port);
    this.startup = this.startupSteps();
    this.stepStartup();
    while (!this.finished) {
      this.progressLeft = PROGRESS_EVERY;
      this.loop();
      if (this.finished) break;
      options.onProgress?.(this.accessesDone() / Math.max(1, this.totalAccesses));
      if (signal?.aborted) throw abortError();
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (signal?.aborted) throw abortError();
    }
    options.onProgress?.(1);
  }

  private accessesDone(): number {
    let n = 0;
    for (const p of this.procs) n += Math.max(0, p.k - p.start);
    return n;
  }

  // ---- the event loop ----------------------------------------------------------------------

  /** Runs until the workload ends or about PROGRESS_EVERY accesses (or other steps) are done. */
  private loop(): void {
    const clock = this.clock;
    const procs = this.procs;
    const runnable = this.runnable;
    while (!this.finished) {
      const tSched = clock.nextDue();
      const tCopy = this.copies.nextArrival();
      const tMadvise = Math.min(
        this.madviseHead < this.madvises.length ? this.madvises[this.madviseHead].at : Infinity,
        this.ruleChangeHead < this.ruleChanges.length ? this.ruleChanges[this.ruleChangeHead].at : Infinity,
      );
      const tMonitor = this.monitorDoneAt;
      const tCall = this.callDoneAt;
      const top = runnable.top();
      const tBest = top >= 0 ? procs[top].t : Infinity;
      const tOther = Math.min(tSched, tCopy, tMadvise, tMonitor, tCall);
      if (top < 0 || tOther <= tBest) {
        if (tOther === Infinity) throw new Error('simulation stalled: no process can run and nothing is scheduled');
        clock.advance(tOther);
        if (tSched === tOther) clock.flushDue();
        else if (tMadvise === tOther || tCopy === tOther) this.arrivals();
        else if (tMonitor === tOther) this.monitorDone();
        else this.copyCallDone();
        // steps without accesses count too, so that a slice always ends and an abort is seen
        if (--this.progressLeft <= 0) return;
      } else {
        const best = procs[top];
        const tSecond = runnable.secondTime();
        this.replay(best, tOther < tSecond ? tOther : tSecond);
        if (best.state === RunState.Running) runnable.retimeTop(best.t);
        else runnable.pop();
        if (this.progressLeft <= 0) return;
      }
    }
  }

  /**
   * Replays accesses of p from p.k (at p.t) while they come before `horizon` (the first always
   * runs): present pages cost nothing beyond the gap; a missing page raises a fault.
   */
  private replay(p: SimProcess, horizon: number): void {
    const pages = p.tracePage;
    const writes = p.traceWrite;
    const gaps = p.traceGap;
    const flags = p.flags;
    const present = p.pages.present;
    const end = p.end;
    const stretch = this.cpuStretch();
    const touchNs = this.cost.touchPageNs * stretch;
    const cowNs = this.cost.cowPageNs * stretch;
    let k = p.k;
    let t = p.t;
    let left = this.progressLeft;
    if (k === end) {
      // its last access ended past the horizon of the slice that ran it
      this.endWorkload(p);
      return;
    }
    for (;;) {
      const pg = pages[k];
      const x = flags[pg];
      // the common case: touched before (so present), private, right content
      if ((x & (PageBit.Touched | PageBit.Shared | PageBit.Bad)) !== PageBit.Touched) {
        if (!present.get(pg)) {
          p.k = k;
          p.t = t;
          this.progressLeft = left;
          this.raiseFault(p, pg, writes[k]);
          return;
        }
        if ((x & PageBit.Touched) === 0) t += touchNs;
        if (this.memory.touch(p, pg, writes[k] !== 0, MAX_REPORTED_MISMATCHES)) t += cowNs;
      }
      k++;
      left--;
      if (k === end) {
        p.k = k;
        p.t = t;
        this.progressLeft = left;
        // the access's own cost may end it after something else due: the clock must not jump past that
        if (t <= horizon) this.endWorkload(p);
        return;
      }
      t += stretch === 1 ? gaps[k] : gaps[k] * stretch;
      if (t >= horizon || left <= 0) break;
    }
    p.k = k;
    p.t = t;
    this.progressLeft = left;
  }

  /**
   * How much slower compute runs now: running processes over the CPUs they share (at least 1).
   * `resuming`: processes about to run that are not in the runnable heap yet.
   */
  private cpuStretch(resuming = 0): number {
    const cpus = this.cost.processCpus;
    const running = this.runnable.size + resuming;
    return cpus > 0 && running > cpus ? running / cpus : 1;
  }

  /**
   * When a command asked for now, reacting to event `reactsTo`, reaches the copy queue. The
   * strategies' thread works through the log in order: each event no sooner than
   * decisionLatencyNs after it happened, each costing decisionEventNs; the command lands when its
   * event has been handled (never before now + decisionLatencyNs, never before the command ahead).
   */
  private landingTime(reactsTo: number): number {
    const m = this.cost;
    const log = this.session.log;
    const upTo = Math.min(reactsTo, log.length - 1);
    for (let seq = this.jsSeq + 1; seq <= upTo; seq++) this.jsClock = Math.max(this.jsClock, log.timeOf(seq) + m.decisionLatencyNs) + m.decisionEventNs;
    if (upTo > this.jsSeq) this.jsSeq = upTo;
    return Math.max(this.clock.now + m.decisionLatencyNs, this.jsClock, this.copies.lastArrival());
  }

  private readonly landed = (i: number): void => {
    const q = this.copies;
    this.facts.copyLanded(this.clock.now, this.procs[q.proc[i]].pid, q.page[i], q.count[i], q.reactsTo[i], q.queuedSeq[i]);
  };

  private arrivals(): void {
    const now = this.clock.now;
    while (this.madviseHead < this.madvises.length && this.madvises[this.madviseHead].at <= now) {
      const m = this.madvises[this.madviseHead++];
      this.applyAdvice(m.proc, m.vma, m.advice);
    }
    if (this.madviseHead === this.madvises.length) {
      this.madvises.length = 0;
      this.madviseHead = 0;
    }
    while (this.ruleChangeHead < this.ruleChanges.length && this.ruleChanges[this.ruleChangeHead].at <= now) {
      const r = this.ruleChanges[this.ruleChangeHead++];
      r.proc.rules = r.rules;
      const stride = r.rules.stride;
      const entries = r.rules.successors?.targets.length ?? 0;
      this.facts.faultRulesSet(now, r.proc.pid, stride?.stride ?? 0, stride?.count ?? 0, entries, r.reactsTo);
    }
    if (this.ruleChangeHead === this.ruleChanges.length) {
      this.ruleChanges.length = 0;
      this.ruleChangeHead = 0;
    }
    this.copies.admit(now, this.landed);
    this.startCopier();
  }

  // ---- the monitor: plan steps ---------------------------------------------------------------

  private stepStartup(): void {
    const r = this.startup!.next();
    if (r.done) {
      this.startup = undefined;
      this.monitorDoneAt = Infinity;
      this.startWorkloads();
    } else {
      this.monitorDoneAt = this.clock.now + r.value;
    }
  }

  /** Plan steps in protocol order; each yields its cost and emits its events when done. */
  private *startupSteps(): Generator<number, void, void> {
    const s = this.session;
    const plan = s.plan;
    const m = this.cost;
    for (const p of this.processOrder()) {
      const pid = p.pid;
      for (const a of plan.adviseBeforeFill) {
        if (a.pid !== pid) continue;
        yield m.madviseNs;
        this.applyAdvice(p, a.vma, a.advice);
      }
      for (const r of plan.prefill) {
        if (r.pid !== pid) continue;
        yield r.count * m.prefillPageNs;
        this.memory.fill(p, r.page, r.count);
        this.facts.pagesPrefilled(this.clock.now, pid, r.page, r.count, r.source === 'image' ? PrefillSource.Image : PrefillSource.Strategy);
      }
      this.collapse(p);
      for (const c of this.procs) {
        if (c.image.parent !== pid) continue;
        yield m.forkNs;
        this.facts.processForked(this.clock.now, pid, c.pid);
        this.inherit(p, c);
      }
      for (const v of p.image.vmas) {
        yield m.registerVmaNs;
        this.facts.vmaRegistered(this.clock.now, pid, v.index, v.firstPage, v.pages, 1);
      }
      for (const a of plan.adviseAfterRegister) {
        if (a.pid !== pid) continue;
        yield m.madviseNs;
        this.applyAdvice(p, a.vma, a.advice);
      }
      for (const r of plan.precopy) {
        if (r.pid !== pid) continue;
        const end = r.page + r.count;
        let i = r.page;
        while (i < end) {
          const f = p.flags;
          if (isTaken(p, i)) {
            i++;
            continue;
          }
          const vma = vmaOfPage(p.image, i)!;
          const limit = Math.min(end, vma.firstPage + vma.pages);
          let j = i;
          while (j < limit && !isTaken(p, j)) f[j++] |= PageBit.Claimed;
          const n = j - i;
          const calls = Math.ceil(n / MAX_COPY_PAGES);
          yield copyCostNs(m, n, calls);
          this.memory.fill(p, i, n);
          this.facts.pagesCopied(this.clock.now, pid, i, n, CopyCause.Precopy, calls);
          i = j;
        }
      }
    }
  }

  /** Roots first, then the image order, each process after its parent (whose turn forks it). */
  private processOrder(): SimProcess[] {
    const out: SimProcess[] = [];
    const placed = new Set<number>();
    const place = (p: SimProcess) => {
      if (placed.has(p.pid)) return;
      placed.add(p.pid);
      out.push(p);
    };
    for (const p of this.procs) if (p.image.parent === null || !this.byPid.has(p.image.parent)) place(p);
    let progress = true;
    while (out.length < this.procs.length && progress) {
      progress = false;
      for (const p of this.procs) {
        if (!placed.has(p.pid) && placed.has(p.image.parent!)) {
          place(p);
          progress = true;
        }
      }
    }
    if (out.length < this.procs.length) throw new Error('the image has a cycle in its process tree');
    return out;
  }

  /** Seed 001: khugepaged collapses each 2 MiB range with a present page while the advice is hugepage. */
  private collapse(p: SimProcess): void {
    for (const v of p.image.vmas) {
      if (!v.collapseBeforeRegister || p.advice[v.index] !== ThpAdviceCode.hugepage) continue;
      const endAddress = v.start + v.pages * PAGE_SIZE;
      for (let a = Math.ceil(v.start / HUGE_PAGE_BYTES) * HUGE_PAGE_BYTES; a + HUGE_PAGE_BYTES <= endAddress; a += HUGE_PAGE_BYTES) {
        const first = v.firstPage + (a - v.start) / PAGE_SIZE;
        let any = false;
        for (let i = first; i < first + PAGES_PER_HUGE_PAGE && !any; i++) any = p.pages.present.get(i);
        if (!any) continue;
        this.memory.collapse(p, first, PAGES_PER_HUGE_PAGE);
        this.facts.hugePageCollapsed(this.clock.now, p.pid, v.index, first, PAGES_PER_HUGE_PAGE);
      }
    }
  }

  /** After fork: the child keeps the pages it shares with its parent that the parent has. */
  private inherit(parent: SimProcess, child: SimProcess): void {
    const flags = child.image.pageFlags;
    const n = Math.min(flags.length, parent.flags.length);
    const pf = parent.pages.present;
    let i = 0;
    while (i < n) {
      if (!(flags[i] & PageFlag.SharedWithParent && pf.get(i))) {
        i++;
        continue;
      }
      let j = i;
      while (j < n && flags[j] & PageFlag.SharedWithParent && pf.get(j)) this.memory.inherit(parent, child, j++);
      this.facts.pagesPrefilled(this.clock.now, child.pid, i, j - i, PrefillSource.Inherited);
      i = j;
    }
  }

  private applyAdvice(p: SimProcess, vma: number, advice: ThpAdvice): void {
    const ok = Number.isInteger(vma) && vma >= 0 && vma < p.advice.length;
    const code = ThpAdviceCode[advice];
    if (ok) p.advice[vma] = code;
    this.facts.madviseApplied(this.clock.now, p.pid, vma, code, ok);
  }

  private startWorkloads(): void {
    const now = this.clock.now;
    this.monitorIdleSince = now;
    for (const p of this.procs) this.facts.workloadStarted(now, p.pid, p.accesses);
    this.running = this.procs.length;
    for (const p of this.procs) {
      p.k = p.start;
      if (p.accesses === 0) {
        p.t = now;
        this.endWorkload(p);
      } else {
        p.t = now + p.traceGap[p.k];
        p.state = RunState.Running;
        this.runnable.push(p.index, p.t);
      }
    }
    if (this.procs.length === 0) this.finish();
  }

  // ---- the monitor: demand faults ------------------------------------------------------------

  private raiseFault(p: SimProcess, page: number, write: number): void {
    this.clock.advance(p.t);
    p.state = RunState.Blocked;
    // The window is decided by the monitor before any strategy hears of the fault.
    if (this.serving === undefined && this.startup === undefined) this.beginService(p);
    else this.faultQueue.push(p);
    this.facts.faultRaised(p.t, p.pid, page, p.pid, write ? FaultFlag.Write : 0);
  }

  private beginService(p: SimProcess): void {
    const page = p.tracePage[p.k];
    const f = p.flags;
    const m = this.cost;
    this.serving = p;
    this.svcPage = page;
    this.svcStartedAt = this.clock.now;
    this.ruleCount = 0;
    this.ruleCostNs = 0;
    let cost: number;
    if (p.pages.present.get(page)) {
      // a copier call made it present while the fault waited in the queue: UFFDIO_COPY says EEXIST
      this.service = Service.Stale;
      cost = m.faultOverheadNs;
    } else if (!(p.image.pageFlags[page] & PageFlag.Content)) {
      this.service = Service.Zero;
      f[page] |= PageBit.Claimed;
      cost = m.faultOverheadNs + m.zeroPageNs;
    } else {
      this.service = Service.Copy;
      let lo = page;
      let hi = page;
      const vma = vmaOfPage(p.image, page)!;
      const w = this.session.windowFor(p.pid, vma.index);
      if (w.backward > 0 || w.forward > 0) {
        const lazy = (i: number) => isWindowable(p, i);
        const loLimit = Math.max(vma.firstPage, page - w.backward);
        while (lo > loLimit && lazy(lo - 1)) lo--;
        const hiLimit = Math.min(vma.firstPage + vma.pages - 1, page + w.forward);
        while (hi < hiLimit && lazy(hi + 1)) hi++;
      }
      for (let i = lo; i <= hi; i++) f[i] |= PageBit.Claimed;
      this.svcLo = lo;
      this.svcHi = hi;
      this.collectRulePages(p, page, lo, hi);
      cost = m.faultOverheadNs + faultCopyCostNs(m, hi - lo + 1);
      if (page < p.lastFaultLo - FAULT_NEAR_PAGES || page > p.lastFaultHi + FAULT_NEAR_PAGES) cost += m.faultJumpNs;
      p.lastFaultLo = lo;
      p.lastFaultHi = hi;
    }
    this.monitorDoneAt = this.clock.now + cost + faultIdleCostNs(m, this.clock.now - this.monitorIdleSince);
  }

  /** As the native collectRulePages: stride pages, then successors, lazy ones outside the window, claimed. */
  private collectRulePages(p: SimProcess, page: number, lo: number, hi: number): void {
    const { stride, successors } = p.rules;
    const out = this.rulePages;
    let n = 0;
    const take = (q: number) => {
      if (q >= p.image.totalPages || (q >= lo && q <= hi) || !isWindowable(p, q)) return;
      p.flags[q] |= PageBit.Claimed;
      out[n++] = q;
    };
    if (stride) {
      for (let i = 1; i <= stride.count && n < MAX_RULE_PAGES; i++) {
        const q = page + stride.stride * i;
        if (q < 0) break;
        take(q);
      }
    }
    if (successors) {
      const { offsets, targets } = successors;
      for (let k = offsets[page]; k < offsets[page + 1] && n < MAX_RULE_PAGES; k++) take(targets[k]);
    }
    this.ruleCount = n;
    this.ruleAt = 0;
    let cost = 0;
    for (let a = 0; a < n; ) {
      const e = this.ruleRunFrom(p, a);
      cost += ruleCopyCostNs(this.cost, e - a);
      a = e;
    }
    this.ruleCostNs = cost;
  }

  /** End of the run of rule pages from index a: consecutive ascending pages of one VMA. */
  private ruleRunFrom(p: SimProcess, a: number): number {
    const pages = this.rulePages;
    const vma = vmaOfPage(p.image, pages[a])!;
    const vEnd = vma.firstPage + vma.pages;
    let j = a + 1;
    while (j < this.ruleCount && pages[j] === pages[j - 1] + 1 && pages[j] < vEnd) j++;
    return j;
  }

  /** The next call of the rules' pages: consecutive ascending pages of one VMA. */
  private startRuleRun(p: SimProcess): void {
    const a = this.ruleAt;
    const j = this.ruleRunFrom(p, a);
    this.ruleRunEnd = j;
    this.service = Service.Rules;
    this.monitorDoneAt = this.clock.now + ruleCopyCostNs(this.cost, j - a);
  }

  private ruleRunDone(p: SimProcess): void {
    const a = this.ruleAt;
    const n = this.ruleRunEnd - a;
    const first = this.rulePages[a];
    this.memory.fill(p, first, n);
    this.facts.pagesCopied(this.clock.now, p.pid, first, n, CopyCause.Prefetch, 1);
    this.ruleAt = this.ruleRunEnd;
    if (this.ruleAt < this.ruleCount) this.startRuleRun(p);
    else this.serveNextFault();
  }

  private monitorDone(): void {
    this.monitorDoneAt = Infinity;
    if (this.startup !== undefined) {
      this.stepStartup();
      return;
    }
    if (this.service === Service.Rules) {
      this.ruleRunDone(this.serving!);
      return;
    }
    const p = this.serving!;
    const now = this.clock.now;
    const pid = p.pid;
    const page = this.svcPage;
    if (this.service === Service.Stale) {
      this.facts.copyRejected(now, pid, page, 1, RejectReason.Eexist, CopyCause.Demand);
    } else if (this.service === Service.Zero) {
      this.memory.fill(p, page, 1);
      this.facts.zeroPageMapped(now, pid, page, 1);
    } else {
      const lo = this.svcLo;
      const hi = this.svcHi;
      this.memory.fill(p, lo, hi - lo + 1);
      if (lo < page) this.facts.pagesCopied(now, pid, lo, page - lo, CopyCause.Prefetch, 0);
      this.facts.pagesCopied(now, pid, page, 1, CopyCause.Demand, 1);
      if (hi > page) this.facts.pagesCopied(now, pid, page + 1, hi - page, CopyCause.Prefetch, 0);
    }
    // the monitor's view (read to wake), what Linux logs; the wait behind other processes' faults is not in it
    this.facts.faultResolved(now, pid, page, now - this.svcStartedAt);

    p.flags[page] |= PageBit.Touched;
    // what the process waits: until the wake reaches it, and on a shared CPU until the monitor let go
    const stretch = this.cpuStretch(1);
    const resumed = now + this.cost.faultWakeNs * stretch + (this.service === Service.Copy && this.cost.monitorSharesCpu ? this.ruleCostNs : 0);
    p.recordStall(page, resumed - p.t);
    p.k++;
    if (p.k === p.end) {
      // ends at the copy: the clock cannot jump past what is scheduled before the last wake
      p.t = now;
      this.endWorkload(p);
    } else {
      p.t = resumed + p.traceGap[p.k] * stretch;
      p.state = RunState.Running;
      this.runnable.push(p.index, p.t);
    }
    if (this.service === Service.Copy && this.ruleCount > 0) {
      // the faulting thread runs again; the monitor copies the rules' pages before its next fault
      this.serving = p;
      this.startRuleRun(p);
      return;
    }
    this.serveNextFault();
  }

  private serveNextFault(): void {
    this.serving = undefined;
    this.monitorIdleSince = this.clock.now;
    if (this.faultQueueHead < this.faultQueue.length) {
      const next = this.faultQueue[this.faultQueueHead++];
      if (this.faultQueueHead === this.faultQueue.length) {
        this.faultQueue.length = 0;
        this.faultQueueHead = 0;
      }
      this.beginService(next);
    }
  }

  // ---- the copier lane -----------------------------------------------------------------------

  /** Starts the next UFFDIO_COPY call if the copier is idle and has work. */
  private startCopier(): void {
    const q = this.copies;
    while (this.callDoneAt === Infinity && !this.finished) {
      if (this.copyCmd < 0) {
        const i = q.take();
        if (i < 0) return;
        this.copyCmd = i;
        this.copyPos = q.page[i];
        this.copyEnd = q.page[i] + q.count[i];
      }
      const i = this.copyCmd;
      const p = this.procs[q.proc[i]];
      const cause = q.cause[i];
      const now = this.clock.now;
      if (p.state === RunState.Done) {
        const from = this.copyPos;
        this.copyCmd = -1;
        this.facts.copyRejected(now, p.pid, from, this.copyEnd - from, RejectReason.Enoent, cause);
        continue;
      }
      const end = this.copyEnd;
      let j = this.copyPos;
      while (j < end && isTaken(p, j)) j++;
      if (j > this.copyPos) {
        const from = this.copyPos;
        this.copyPos = j;
        if (j === end) this.copyCmd = -1;
        this.facts.copyRejected(now, p.pid, from, j - from, RejectReason.Eexist, cause);
        if (j === end) continue;
      }
      const limit = Math.min(end, j + MAX_COPY_PAGES);
      let e = j;
      while (e < limit && !isTaken(p, e)) e++;
      this.callPage = j;
      this.callCount = e - j;
      this.copyPos = e;
      this.callDoneAt = now + copyCostNs(this.cost, e - j);
    }
  }

  private copyCallDone(): void {
    this.callDoneAt = Infinity;
    const q = this.copies;
    const i = this.copyCmd;
    const p = this.procs[q.proc[i]];
    const cause = q.cause[i];
    const start = this.callPage;
    const end = start + this.callCount;
    if (this.copyPos === this.copyEnd) this.copyCmd = -1;
    const now = this.clock.now;
    if (p.state === RunState.Done) {
      this.facts.copyRejected(now, p.pid, start, end - start, RejectReason.Enoent, cause);
    } else {
      // pages the monitor copied (or claimed) meanwhile make this call fail with EEXIST for them
      let a = start;
      while (a < end) {
        const taken = isTaken(p, a);
        let b = a + 1;
        while (b < end && isTaken(p, b) === taken) b++;
        if (taken) {
          this.facts.copyRejected(now, p.pid, a, b - a, RejectReason.Eexist, cause);
        } else {
          this.memory.fill(p, a, b - a);
          this.facts.pagesCopied(now, p.pid, a, b - a, cause, 1);
        }
        a = b;
      }
    }
    this.startCopier();
  }

  // ---- the end -------------------------------------------------------------------------------

  private endWorkload(p: SimProcess): void {
    this.clock.advance(p.t);
    const now = this.clock.now;
    const pid = p.pid;
    p.state = RunState.Done;
    this.running--;
    this.facts.workloadEnded(now, pid, p.accesses);
    forEachBitRun(p.flags, PageBit.Touched, (page, count) => this.facts.pagesTouched(now, pid, page, count));
    for (let i = 0; i < p.stalls; i++) this.facts.faultStalled(now, pid, p.stallPage[i], Math.round(p.stallNs[i]));
    const mem = this.memory.sample(p);
    this.facts.memorySampled(now, pid, mem.rssBytes, mem.pssBytes, mem.privateBytes);
    const v = this.memory.verify(p, MAX_REPORTED_MISMATCHES);
    this.facts.pagesVerified(now, pid, v.checked, v.mismatched, v.unrestored);
    for (const page of v.firstMismatches) this.facts.pageMismatch(now, pid, page);
    if (this.running === 0) this.finish();
  }

  /** Every process has ended: what is still queued finds no process (ENOENT); then RestoreEnded. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const q = this.copies;
    const now = this.clock.now;
    if (this.copyCmd >= 0) {
      const i = this.copyCmd;
      const from = this.callDoneAt === Infinity ? this.copyPos : this.callPage;
      this.copyCmd = -1;
      this.callDoneAt = Infinity;
      if (this.copyEnd > from) this.facts.copyRejected(now, this.procs[q.proc[i]].pid, from, this.copyEnd - from, RejectReason.Enoent, q.cause[i]);
    }
    q.drain((i) => this.facts.copyRejected(now, this.procs[q.proc[i]].pid, q.page[i], q.count[i], RejectReason.Enoent, q.cause[i]));
    for (let j = this.madviseHead; j < this.madvises.length; j++) {
      const m = this.madvises[j];
      this.facts.madviseApplied(now, m.proc.pid, m.vma, ThpAdviceCode[m.advice], false);
    }
    this.madviseHead = this.madvises.length;
    this.facts.restoreEnded(now);
  }
}
