import { CopyCause, FaultFlag, MAX_RULE_PAGES, PageFlag, RejectReason, vmaOfPage } from '@restorelab/core';
import { FAULT_NEAR_PAGES, faultCopyCostNs, faultIdleCostNs, ruleCopyCostNs } from './cost-model';
import { isWindowable, PageBit, RunState, SimProcess } from './sim-process';
import { SimReplay } from './sim-replay';
import { SimWorld } from './sim-world';

/** What the monitor is doing for the fault it serves. */
const Service = { Copy: 0, Zero: 1, Stale: 2, Rules: 3 } as const;
type Service = (typeof Service)[keyof typeof Service];

/**
 * The monitor's fault thread (native/addon/fault-loop.cc and fault-rules.cc): demand faults one at
 * a time in raised order, each copied with its fault-time window, the process woken, then the
 * pages of its fault-time rules copied before the next fault.
 */
export class SimFaultLoop {
  /** When the monitor finishes what it does now (Infinity: idle). */
  doneAt = Infinity;
  private open = false;
  private readonly queue: SimProcess[] = [];
  private queueHead = 0;
  private serving: SimProcess | undefined;
  /** When the monitor last finished serving a fault (its idle time cools its caches). */
  private idleSince = 0;
  private service: Service = Service.Copy;
  private svcPage = 0;
  /** When the monitor took the fault it serves: a fault's logged latency starts here, as on Linux. */
  private svcStartedAt = 0;
  private svcLo = 0;
  private svcHi = 0;
  /** The pages the served fault's rules add (copied after its wake), and the next run of them. */
  private readonly rulePages = new Uint32Array(MAX_RULE_PAGES);
  private ruleCount = 0;
  private ruleAt = 0;
  private ruleRunEnd = 0;
  /** What copying all of them costs the monitor. */
  private ruleCostNs = 0;

  constructor(
    private readonly w: SimWorld,
    private readonly replay: SimReplay,
  ) {}

  /** Start-up is over: faults are served from now on. */
  openAt(now: number): void {
    this.open = true;
    this.idleSince = now;
  }

  raise(p: SimProcess, page: number, write: number): void {
    const w = this.w;
    w.clock.advance(p.t);
    p.state = RunState.Blocked;
    // The window is decided by the monitor before any strategy hears of the fault.
    if (this.serving === undefined && this.open) this.begin(p);
    else this.queue.push(p);
    w.facts.faultRaised(p.t, p.pid, page, p.pid, write ? FaultFlag.Write : 0);
  }

  private begin(p: SimProcess): void {
    const w = this.w;
    const page = p.tracePage[p.k];
    const f = p.flags;
    const m = w.cost;
    this.serving = p;
    this.svcPage = page;
    this.svcStartedAt = w.clock.now;
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
      const win = w.session.windowFor(p.pid, vma.index);
      if (win.backward > 0 || win.forward > 0) {
        const lazy = (i: number) => isWindowable(p, i);
        const loLimit = Math.max(vma.firstPage, page - win.backward);
        while (lo > loLimit && lazy(lo - 1)) lo--;
        const hiLimit = Math.min(vma.firstPage + vma.pages - 1, page + win.forward);
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
    this.doneAt = w.clock.now + cost + faultIdleCostNs(m, w.clock.now - this.idleSince);
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
      cost += ruleCopyCostNs(this.w.cost, e - a);
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
    this.doneAt = this.w.clock.now + ruleCopyCostNs(this.w.cost, j - a);
  }

  private ruleRunDone(p: SimProcess): void {
    const w = this.w;
    const a = this.ruleAt;
    const n = this.ruleRunEnd - a;
    const first = this.rulePages[a];
    w.memory.fill(p, first, n);
    w.facts.pagesCopied(w.clock.now, p.pid, first, n, CopyCause.Prefetch, 1);
    this.ruleAt = this.ruleRunEnd;
    if (this.ruleAt < this.ruleCount) this.startRuleRun(p);
    else this.serveNext();
  }

  /** The monitor finished its step: a rules' copy call, or the served fault's copy (then it wakes the process). */
  done(): void {
    this.doneAt = Infinity;
    if (this.service === Service.Rules) {
      this.ruleRunDone(this.serving!);
      return;
    }
    const w = this.w;
    const facts = w.facts;
    const p = this.serving!;
    const now = w.clock.now;
    const pid = p.pid;
    const page = this.svcPage;
    if (this.service === Service.Stale) {
      facts.copyRejected(now, pid, page, 1, RejectReason.Eexist, CopyCause.Demand);
    } else if (this.service === Service.Zero) {
      w.memory.fill(p, page, 1);
      facts.zeroPageMapped(now, pid, page, 1);
    } else {
      const lo = this.svcLo;
      const hi = this.svcHi;
      w.memory.fill(p, lo, hi - lo + 1);
      if (lo < page) facts.pagesCopied(now, pid, lo, page - lo, CopyCause.Prefetch, 0);
      facts.pagesCopied(now, pid, page, 1, CopyCause.Demand, 1);
      if (hi > page) facts.pagesCopied(now, pid, page + 1, hi - page, CopyCause.Prefetch, 0);
    }
    // the monitor's view (read to wake), what Linux logs; the wait behind other processes' faults is not in it
    facts.faultResolved(now, pid, page, now - this.svcStartedAt);

    p.flags[page] |= PageBit.Touched;
    // what the process waits: until the wake reaches it, and on a shared CPU until the monitor let go
    const stretch = w.cpuStretch(1);
    const resumed = now + w.cost.faultWakeNs * stretch + (this.service === Service.Copy && w.cost.monitorSharesCpu ? this.ruleCostNs : 0);
    p.recordStall(page, resumed - p.t);
    p.k++;
    if (p.k === p.end) {
      // ends at the copy: the clock cannot jump past what is scheduled before the last wake
      p.t = now;
      this.replay.end(p);
    } else {
      p.t = resumed + p.traceGap[p.k] * stretch;
      p.state = RunState.Running;
      w.runnable.push(p.index, p.t);
    }
    if (this.service === Service.Copy && this.ruleCount > 0) {
      // the faulting thread runs again; the monitor copies the rules' pages before its next fault
      this.serving = p;
      this.startRuleRun(p);
      return;
    }
    this.serveNext();
  }

  private serveNext(): void {
    this.serving = undefined;
    this.idleSince = this.w.clock.now;
    if (this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead++];
      if (this.queueHead === this.queue.length) {
        this.queue.length = 0;
        this.queueHead = 0;
      }
      this.begin(next);
    }
  }
}
