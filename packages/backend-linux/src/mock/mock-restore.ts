import { CopyCause, EventKind, FaultFlag, MAX_COPY_PAGES, MAX_REPORTED_MISMATCHES, MAX_RULE_PAGES, PageFlag, PAGES_PER_HUGE_PAGE, PAGE_SIZE, PrefillSource, RejectReason, ThpAdviceCode } from '@restorelab/core';
import { InternalKind } from '../native-run';
import { DecodedPlan, DecodedTrace, PlanProc } from '../run-files-reader';

/** What the mock's restored memory knows of a page. */
const Bit = { Present: 1, Bad: 2, Touched: 4, Registered: 8, InFlight: 16 } as const;
const HUGE_PAGE_BYTES = PAGES_PER_HUGE_PAGE * PAGE_SIZE;

export type Emit = (kind: number, pid: number, a: number, b: number, c: number, d: number) => void;

interface Proc {
  readonly index: number;
  readonly plan: PlanProc;
  readonly trace: DecodedTrace;
  readonly bits: Uint8Array;
  readonly advice: Uint8Array;
  k: number;
  done: boolean;
  readonly faulted: number[];
  readonly firstMismatches: number[];
  mismatched: number;
  stride: number;
  strideCount: number;
  offsets: Uint32Array | null;
  targets: Uint32Array | null;
}

interface Command {
  readonly proc: number;
  readonly page: number;
  readonly count: number;
  readonly cause: number;
}

/**
 * The restore a real runner and monitor perform, played in JavaScript over the run files: the
 * startup facts in protocol order, precopy, then the processes' traces one access at a time
 * (round robin), each missing page a demand fault served with its fault-time window and rules, and
 * the copy queue served between accesses (urgent first). Deterministic: a strategy stack that is
 * deterministic gives the faults and copies the simulator gives.
 */
export class MockRestore {
  private readonly procs: Proc[];
  private readonly queues: Command[][] = [[], [], []];
  private next = 0;
  private running = 0;
  private started = false;
  finished = false;

  constructor(
    private readonly plan: DecodedPlan,
    traces: readonly DecodedTrace[],
    private readonly emit: Emit,
    private readonly internal: (kind: number, pid: number) => void,
  ) {
    this.procs = plan.procs.map((p, index) => ({
      index,
      plan: p,
      trace: traces[index],
      bits: new Uint8Array(p.totalPages),
      advice: Uint8Array.from(p.vmas.map((v) => v.thp)),
      k: 0,
      done: false,
      faulted: [],
      firstMismatches: [],
      mismatched: 0,
      stride: 0,
      strideCount: 0,
      offsets: null,
      targets: null,
    }));
  }

  get processCount(): number {
    return this.procs.length;
  }

  setRules(proc: number, stride: number, strideCount: number, offsets: Uint32Array | null, targets: Uint32Array | null): void {
    const p = this.proc(proc);
    Object.assign(p, { stride, strideCount, offsets, targets });
  }

  madvise(proc: number, vma: number, advice: number): void {
    const p = this.proc(proc);
    const ok = Number.isInteger(vma) && vma >= 0 && vma < p.advice.length;
    if (ok) p.advice[vma] = advice;
    this.emit(EventKind.MadviseApplied, p.plan.pid, vma, advice, ok ? 1 : 0, 0);
  }

  submitCopy(proc: number, page: number, count: number, cause: number, priority: number): void {
    const p = this.proc(proc);
    const end = Math.min(page + count, p.plan.totalPages);
    for (let i = Math.max(0, page); i < end; i++) p.bits[i] |= Bit.InFlight;
    this.queues[Math.min(2, Math.max(0, priority))].push({ proc, page, count, cause });
  }

  /** Startup facts, precopy, WorkloadStarted: what happens between the hellos and GO. */
  start(): void {
    const plan = this.plan;
    for (const p of this.procs) {
      const pid = p.plan.pid;
      for (const a of plan.adviseBeforeFill) if (a.proc === p.index) this.madvise(p.index, a.vma, a.advice);
      for (const r of plan.prefill) {
        if (r.proc !== p.index) continue;
        for (let i = r.page; i < r.page + r.count; i++) p.bits[i] = (p.bits[i] & ~Bit.Bad) | Bit.Present;
        this.emit(EventKind.PagesPrefilled, pid, r.page, r.count, r.source, 0);
      }
      this.collapse(p);
      for (const c of this.procs) {
        if (c.plan.parent !== p.index) continue;
        this.emit(EventKind.ProcessForked, pid, c.plan.pid, 0, 0, 0);
        this.inherit(p, c);
      }
      for (const [index, v] of p.plan.vmas.entries()) {
        for (let i = v.firstPage; i < v.firstPage + v.pages; i++) p.bits[i] |= Bit.Registered;
        this.emit(EventKind.VmaRegistered, pid, index, v.firstPage, v.pages, 1);
      }
      for (const a of plan.adviseAfterRegister) if (a.proc === p.index) this.madvise(p.index, a.vma, a.advice);
    }
    for (const r of plan.precopy) this.copyRange(this.procs[r.proc], r.page, r.count, CopyCause.Precopy, true);
    for (const p of this.procs) this.emit(EventKind.WorkloadStarted, p.plan.pid, p.plan.accesses, 0, 0, 0);
    this.running = this.procs.length;
    this.started = true;
    for (const p of this.procs) if (p.trace.page.length === 0) this.end(p);
  }

  /** One step of the run: a queued copy, then one access of the next running process. */
  step(): void {
    if (!this.started || this.finished) return;
    this.serveCopy();
    for (let n = 0; n < this.procs.length; n++) {
      const p = this.procs[this.next];
      this.next = (this.next + 1) % this.procs.length;
      if (p.done) continue;
      this.access(p);
      return;
    }
  }

  private proc(i: number): Proc {
    const p = this.procs[i];
    if (!p) throw new Error(`no process ${i}`);
    return p;
  }

  private access(p: Proc): void {
    const page = p.trace.page[p.k];
    const x = p.bits[page];
    if (x & Bit.Present) {
      if (!(x & Bit.Touched)) {
        if (x & Bit.Bad && p.mismatched++ < MAX_REPORTED_MISMATCHES) p.firstMismatches.push(page);
        p.bits[page] = x | Bit.Touched;
      }
    } else this.fault(p, page, p.trace.write[p.k] !== 0);
    if (++p.k === p.trace.page.length) this.end(p);
  }

  private fault(p: Proc, page: number, write: boolean): void {
    const pid = p.plan.pid;
    this.emit(EventKind.FaultRaised, pid, page, pid, write ? FaultFlag.Write : 0, 0);
    if (!(p.plan.pageFlags[page] & PageFlag.Content)) {
      p.bits[page] |= Bit.Present;
      this.emit(EventKind.ZeroPageMapped, pid, page, 1, 0, 0);
      this.emit(EventKind.FaultResolved, pid, page, 0, 0, 0);
    } else {
      const v = p.plan.vmas.find((x) => page >= x.firstPage && page < x.firstPage + x.pages)!;
      let lo = page;
      let hi = page;
      while (lo > Math.max(v.firstPage, page - v.windowBackward) && this.windowable(p, lo - 1)) lo--;
      while (hi < Math.min(v.firstPage + v.pages - 1, page + v.windowForward) && this.windowable(p, hi + 1)) hi++;
      this.fill(p, lo, hi - lo + 1);
      if (lo < page) this.emit(EventKind.PagesCopied, pid, lo, page - lo, CopyCause.Prefetch, 0);
      this.emit(EventKind.PagesCopied, pid, page, 1, CopyCause.Demand, 1);
      if (hi > page) this.emit(EventKind.PagesCopied, pid, page + 1, hi - page, CopyCause.Prefetch, 0);
      this.emit(EventKind.FaultResolved, pid, page, 0, 0, 0);
      this.rules(p, page, lo, hi);
    }
    p.bits[page] |= Bit.Touched;
    p.faulted.push(page);
  }

  /** As the native collectRulePages: stride pages, then successors, lazy ones outside the window. */
  private rules(p: Proc, page: number, lo: number, hi: number): void {
    const pages: number[] = [];
    const take = (q: number) => {
      if (q < p.plan.totalPages && (q < lo || q > hi) && this.windowable(p, q) && !pages.includes(q)) pages.push(q);
    };
    for (let i = 1; i <= p.strideCount && pages.length < MAX_RULE_PAGES; i++) {
      const q = page + p.stride * i;
      if (q < 0) break;
      take(q);
    }
    if (p.offsets && p.targets) for (let k = p.offsets[page]; k < p.offsets[page + 1] && pages.length < MAX_RULE_PAGES; k++) take(p.targets[k]);
    for (let a = 0; a < pages.length; ) {
      const v = p.plan.vmas.find((x) => pages[a] >= x.firstPage && pages[a] < x.firstPage + x.pages)!;
      let e = a + 1;
      while (e < pages.length && pages[e] === pages[e - 1] + 1 && pages[e] < v.firstPage + v.pages) e++;
      this.fill(p, pages[a], e - a);
      this.emit(EventKind.PagesCopied, p.plan.pid, pages[a], e - a, CopyCause.Prefetch, 1);
      a = e;
    }
  }

  private windowable(p: Proc, i: number): boolean {
    return (p.bits[i] & (Bit.Present | Bit.Registered | Bit.InFlight)) === Bit.Registered && (p.plan.pageFlags[i] & PageFlag.Content) !== 0;
  }

  private fill(p: Proc, page: number, count: number): void {
    for (let i = page; i < page + count; i++) p.bits[i] = (p.bits[i] & ~(Bit.Bad | Bit.InFlight)) | Bit.Present;
  }

  /** Copies the missing pages of a range in calls of at most MAX_COPY_PAGES (present ones: EEXIST unless `quiet`). */
  private copyRange(p: Proc, page: number, count: number, cause: number, quiet = false): void {
    const pid = p.plan.pid;
    const end = Math.min(page + count, p.plan.totalPages);
    for (let i = page; i < end; ) {
      const present = (p.bits[i] & Bit.Present) !== 0;
      const v = p.plan.vmas.find((x) => i >= x.firstPage && i < x.firstPage + x.pages)!;
      const limit = Math.min(end, v.firstPage + v.pages, present ? end : i + MAX_COPY_PAGES);
      let j = i + 1;
      while (j < limit && ((p.bits[j] & Bit.Present) !== 0) === present) j++;
      if (!present) {
        this.fill(p, i, j - i);
        this.emit(EventKind.PagesCopied, pid, i, j - i, cause, 1);
      } else if (!quiet) {
        for (let q = i; q < j; q++) p.bits[q] &= ~Bit.InFlight;
        this.emit(EventKind.CopyRejected, pid, i, j - i, RejectReason.Eexist, cause);
      }
      i = j;
    }
  }

  private serveCopy(): void {
    const c = this.queues.find((q) => q.length > 0)?.shift();
    if (!c) return;
    const p = this.procs[c.proc];
    if (p.done) this.emit(EventKind.CopyRejected, p.plan.pid, c.page, c.count, RejectReason.Enoent, c.cause);
    else this.copyRange(p, c.page, c.count, c.cause);
  }

  /** Seed 001: a collapsed 2 MiB range with a present page; its holes become zero pages. */
  private collapse(p: Proc): void {
    for (const [index, v] of p.plan.vmas.entries()) {
      if (!v.collapse || p.advice[index] !== ThpAdviceCode.hugepage) continue;
      const endAddress = v.start + v.pages * PAGE_SIZE;
      for (let a = Math.ceil(v.start / HUGE_PAGE_BYTES) * HUGE_PAGE_BYTES; a + HUGE_PAGE_BYTES <= endAddress; a += HUGE_PAGE_BYTES) {
        const first = v.firstPage + (a - v.start) / PAGE_SIZE;
        let any = false;
        for (let i = first; i < first + PAGES_PER_HUGE_PAGE && !any; i++) any = (p.bits[i] & Bit.Present) !== 0;
        if (!any) continue;
        for (let i = first; i < first + PAGES_PER_HUGE_PAGE; i++) {
          if (!(p.bits[i] & Bit.Present)) p.bits[i] |= Bit.Present | (p.plan.pageFlags[i] & PageFlag.Content ? Bit.Bad : 0);
        }
        this.emit(EventKind.HugePageCollapsed, p.plan.pid, index, first, PAGES_PER_HUGE_PAGE, 0);
      }
    }
  }

  private inherit(parent: Proc, child: Proc): void {
    const n = Math.min(child.plan.totalPages, parent.plan.totalPages);
    for (let i = 0; i < n; ) {
      const shared = (j: number) => (child.plan.pageFlags[j] & PageFlag.SharedWithParent) !== 0 && (parent.bits[j] & Bit.Present) !== 0;
      if (!shared(i)) {
        i++;
        continue;
      }
      let j = i;
      for (; j < n && shared(j); j++) child.bits[j] = (child.bits[j] & ~Bit.Bad) | Bit.Present | (parent.bits[j] & Bit.Bad);
      this.emit(EventKind.PagesPrefilled, child.plan.pid, i, j - i, PrefillSource.Inherited, 0);
      i = j;
    }
  }

  private end(p: Proc): void {
    const pid = p.plan.pid;
    p.done = true;
    this.emit(EventKind.WorkloadEnded, pid, p.plan.accesses, 0, 0, 0);
    for (let i = 0; i < p.bits.length; ) {
      if (!(p.bits[i] & Bit.Touched)) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < p.bits.length && p.bits[j] & Bit.Touched) j++;
      this.emit(EventKind.PagesTouched, pid, i, j - i, 0, 0);
      i = j;
    }
    for (const page of p.faulted) this.emit(EventKind.FaultStalled, pid, page, 0, 0, 0);
    let checked = 0;
    let unrestored = 0;
    for (let i = 0; i < p.bits.length; i++) {
      const x = p.bits[i];
      if (x & Bit.Present) {
        checked++;
        if ((x & (Bit.Bad | Bit.Touched)) === Bit.Bad && p.mismatched++ < MAX_REPORTED_MISMATCHES) p.firstMismatches.push(i);
      } else if (x & Bit.Registered) unrestored++;
    }
    this.emit(EventKind.MemorySampled, pid, checked * PAGE_SIZE, checked * PAGE_SIZE, checked * PAGE_SIZE, 0);
    this.emit(EventKind.PagesVerified, pid, checked, p.mismatched, unrestored, 0);
    for (const page of p.firstMismatches.slice(0, MAX_REPORTED_MISMATCHES)) this.emit(EventKind.PageMismatch, pid, page, 0, 0, 0);
    this.internal(InternalKind.ProcessDone, pid);
    if (--this.running === 0) this.finish();
  }

  private finish(): void {
    this.finished = true;
    for (const q of this.queues) {
      for (const c of q) this.emit(EventKind.CopyRejected, this.procs[c.proc].plan.pid, c.page, c.count, RejectReason.Enoent, c.cause);
      q.length = 0;
    }
    this.internal(InternalKind.AllDone, 0);
  }
}
