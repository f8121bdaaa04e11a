import { CopyCause, FaultFlag, hugePageStart, MAX_RULE_PAGES, PageFlag, PAGES_PER_HUGE_PAGE, RejectReason, vmaOfPage } from '@restorelab/core';
import { FAULT_NEAR_PAGES, faultCopyCostNs, faultIdleCostNs, hugetlbCopyCostNs, ruleCopyCostNs } from './cost-model';
import { LinkChannel } from './sim-link';
import { isWindowable, PageBit, RunState, SimProcess } from './sim-process';
import { SimReplay } from './sim-replay';
import { SimWorld } from './sim-world';

/** What the monitor is doing for the fault it serves. */
const Service = { Copy: 0, Zero: 1, Stale: 2 } as const;
type Service = (typeof Service)[keyof typeof Service];

/**
 * The monitor's fault thread (native/addon/fault-loop.cc and fault-rules.cc): demand faults one at
 * a time in raised order, the pages of each fault's rules copied first, then the fault's page with
 * its fault-time window, which wakes the process.
 */
export class SimFaultLoop {
  /** When the monitor finishes what it does now (Infinity: idle). */
  doneAt = Infinity;
  /** The fault's pages come later: a background answer shares the link with them (shared bandwidth). */
  private readonly later = (ns: number) => void (this.doneAt += ns);
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
  /** The pages the fault itself needs: its page, or its whole huge page in a hugetlb VMA. */
  private svcDemandLo = 0;
  private svcDemandHi = 0;
  /** The pages the served fault's rules add (copied before its wake). */
  private readonly rulePages = new Uint32Array(MAX_RULE_PAGES);
  private ruleCount = 0;

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
    let cost: number;
    let fetchNs = 0;
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
      this.svcDemandLo = page;
      this.svcDemandHi = page;
      if (vma.hugetlb) {
        lo = hugePageStart(vma, lo);
        hi = hugePageStart(vma, hi) + PAGES_PER_HUGE_PAGE - 1;
        this.svcDemandLo = hugePageStart(vma, page);
        this.svcDemandHi = this.svcDemandLo + PAGES_PER_HUGE_PAGE - 1;
      }
      for (let i = lo; i <= hi; i++) f[i] |= PageBit.Claimed;
      this.svcLo = lo;
      this.svcHi = hi;
      // the rules' pages, then the fault's own, each fetched over the urgent channel first (with a link)
      cost = m.faultOverheadNs;
      cost += this.collectRulePages(p, page, lo, hi, w.clock.now + cost);
      fetchNs = w.link.fetch(w.clock.now + cost, hi - lo + 1, LinkChannel.Urgent, this.later);
      cost += fetchNs + (vma.hugetlb ? hugetlbCopyCostNs(m, hi - lo + 1) : faultCopyCostNs(m, hi - lo + 1));
      if (page < p.lastFaultLo - FAULT_NEAR_PAGES || page > p.lastFaultHi + FAULT_NEAR_PAGES) cost += m.faultJumpNs;
      p.lastFaultLo = lo;
      p.lastFaultHi = hi;
    }
    const serviceNs = cost + faultIdleCostNs(m, w.clock.now - this.idleSince);
    this.doneAt = w.clock.now + serviceNs;
    // the fault thread goes first on the processes' CPU: the others stop while it serves (not while it waits for the link)
    if (m.faultThreadSharesProcessCpu) w.runnable.delayAll(serviceNs - fetchNs);
  }

  /**
   * As the native collectRulePages: stride pages, then successors, lazy ones outside the window,
   * claimed. Returns what fetching and copying them, from `at`, costs the monitor.
   */
  private collectRulePages(p: SimProcess, page: number, lo: number, hi: number, at: number): number {
    const { stride, successors } = p.rules;
    const out = this.rulePages;
    let n = 0;
    // a rule copies single pages: a hugetlb VMA's are placed only whole, by faults and copies
    const take = (q: number) => {
      if (q >= p.image.totalPages || (q >= lo && q <= hi) || !isWindowable(p, q) || vmaOfPage(p.image, q)!.hugetlb) return;
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
    let cost = 0;
    for (let a = 0; a < n; ) {
      const e = this.ruleRunFrom(p, a);
      cost += this.w.link.fetch(at + cost, e - a, LinkChannel.Urgent, this.later) + ruleCopyCostNs(this.w.cost, e - a);
      a = e;
    }
    return cost;
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

  /** The monitor finished serving the fault: its rules' pages and its own copy are in, the process is woken. */
  done(): void {
    this.doneAt = Infinity;
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
      const dLo = this.svcDemandLo;
      const dHi = this.svcDemandHi;
      w.memory.fill(p, lo, hi - lo + 1);
      if (lo < dLo) facts.pagesCopied(now, pid, lo, dLo - lo, CopyCause.Prefetch, 0);
      facts.pagesCopied(now, pid, dLo, dHi - dLo + 1, CopyCause.Demand, 1);
      if (hi > dHi) facts.pagesCopied(now, pid, dHi + 1, hi - dHi, CopyCause.Prefetch, 0);
    }
    // the monitor's view (read to wake), what Linux logs; the wait behind other processes' faults is not in it
    facts.faultResolved(now, pid, page, now - this.svcStartedAt);
    // the rules' pages went in before the wake; Linux logs them after the fault, at its time
    for (let a = 0; a < this.ruleCount; ) {
      const e = this.ruleRunFrom(p, a);
      w.memory.fill(p, this.rulePages[a], e - a);
      facts.pagesCopied(now, pid, this.rulePages[a], e - a, CopyCause.Prefetch, 1);
      a = e;
    }

    p.flags[page] |= PageBit.Touched;
    // what the process waits: until the wake reaches it
    const stretch = w.cpuStretch(1);
    const resumed = now + w.cost.faultWakeNs * stretch;
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
