import { FaultRules, PageFlag, ProcessImage, ProcessPages, ProcessTrace, ThpAdviceCode } from '@restorelab/core';

const NO_RULES: FaultRules = { stride: null, successors: null };

/**
 * Bits of SimProcess.flags, one byte per page: the simulated memory's contents and the monitor's
 * claims. Whether a page is registered or present is the log's, read from the session's page fold
 * (SimProcess.pages), as on Linux the kernel's page tables are.
 */
export const PageBit = {
  /** Present with content that differs from the image (a zero hole of a collapsed huge page). */
  Bad: 2,
  /** Touched by the restore phase. */
  Touched: 4,
  /** Maps a physical page shared COW with other processes: (origin[page], page). */
  Shared: 8,
  /** The monitor is copying it right now (fault window or precopy): a concurrent copier call loses. */
  Claimed: 16,
  /** Copy engine continue: maps the memfd's page-cache page privately; the first write copies it. */
  Cached: 32,
} as const;

export const RunState = {
  NotStarted: 0,
  Running: 1,
  /** Waiting for its demand fault to be resolved. */
  Blocked: 2,
  Done: 3,
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

/** One process of the restored tree: page state, COW sharing, and where its trace replay is. */
export class SimProcess {
  readonly pid: number;
  readonly flags: Uint8Array;
  /** Effective THP advice per VMA (ThpAdviceCode). */
  readonly advice: Uint8Array;
  /** For Shared pages: index of the process that owns the physical page. Allocated at the first fork. */
  origin: Int32Array | undefined;
  /** For physical pages this process owns: how many processes map them. Allocated at the first fork. */
  sharers: Uint16Array | undefined;

  readonly tracePage: Uint32Array;
  readonly traceWrite: Uint8Array;
  readonly traceGap: Uint32Array;
  /** First access of the restore phase. */
  readonly start: number;
  readonly end: number;

  state: RunState = RunState.NotStarted;
  /** Next access to replay. */
  k = 0;
  /** Time of access k (Running), or of the fault it waits for (Blocked). */
  t = 0;
  /** The pages its last copying fault brought in (a fault far from them costs faultJumpNs more). */
  lastFaultLo = -Infinity;
  lastFaultHi = -Infinity;
  /** Pages that mismatched the image at their first touch, and the first of them in touch order. */
  touchMismatches = 0;
  readonly firstMismatches: number[] = [];
  /** Its faulting accesses in order: the page and what the process waited there (FaultStalled). */
  stallPage = new Uint32Array(64);
  stallNs = new Float64Array(64);
  stalls = 0;
  /** Fault-time rules beyond the window (model/plan.ts), as the monitor applies them. */
  rules: FaultRules = NO_RULES;

  constructor(
    readonly index: number,
    readonly image: ProcessImage,
    trace: ProcessTrace,
    /** Its registered, present and in-flight pages, as the log says (the session's page fold). */
    readonly pages: ProcessPages,
  ) {
    this.pid = image.pid;
    this.flags = new Uint8Array(image.totalPages);
    this.advice = Uint8Array.from(image.vmas.map((v) => ThpAdviceCode[v.thp]));
    this.tracePage = trace.page;
    this.traceWrite = trace.write;
    this.traceGap = trace.gapNs;
    this.start = Math.min(trace.migrateAt, trace.page.length);
    this.end = trace.page.length;
    for (let i = this.start; i < this.end; i++) {
      if (trace.page[i] >= image.totalPages)
        throw new Error(`trace of pid ${this.pid}: access ${i} touches page ${trace.page[i]}, past its ${image.totalPages} pages`);
    }
  }

  recordStall(page: number, ns: number): void {
    if (this.stalls === this.stallPage.length) {
      const pages = new Uint32Array(this.stalls * 2);
      pages.set(this.stallPage);
      this.stallPage = pages;
      const waits = new Float64Array(this.stalls * 2);
      waits.set(this.stallNs);
      this.stallNs = waits;
    }
    this.stallPage[this.stalls] = page;
    this.stallNs[this.stalls++] = ns;
  }

  get accesses(): number {
    return this.end - this.start;
  }

  ensureSharing(): void {
    const n = this.flags.length;
    this.origin ??= new Int32Array(n);
    this.sharers ??= new Uint16Array(n);
  }
}

/** Present, or claimed by the monitor: a copier call for it fails with EEXIST. */
export function isTaken(p: SimProcess, i: number): boolean {
  return (p.flags[i] & PageBit.Claimed) !== 0 || p.pages.present.get(i);
}

/** Lazy, with content, not claimed by the monitor and not in flight: the window or a rule may take it. */
export function isWindowable(p: SimProcess, i: number): boolean {
  const pages = p.pages;
  return (p.flags[i] & PageBit.Claimed) === 0 && pages.registered.get(i) && !pages.present.get(i) && (p.image.pageFlags[i] & PageFlag.Content) !== 0 && !pages.inFlight.get(i);
}
