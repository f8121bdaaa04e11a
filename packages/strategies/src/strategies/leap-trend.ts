/**
 * leap-trend — Leap's majority-trend prefetcher ("Effectively Prefetching Remote Memory with Leap",
 * Maruf and Chowdhury, USENIX ATC 2020), applied to uffd faults.
 *
 * Per process, a ring of the last `history` page deltas. FindTrend runs the Boyer–Moore majority
 * vote over the newest H/4 deltas, then H/2, then H: the first window where one delta has more
 * than half of the votes gives the trend (a zero delta is no trend). On each miss at page Pt:
 *   hits   the prefetched pages the process used since the last prefetch;
 *   window (Leap's Algorithm 2) hits > 0: the next power of two >= hits+1; no hits: 1 if Pt
 *          followed the trend, else 0; at most `maxWindow`, and never below half the previous
 *          window, so it shrinks smoothly;
 *   then   with a trend, prefetch `window` pages Pt+Δ, Pt+2Δ, ... (lazy ones only, priority
 *          prefetch). With no trend, the paper keeps prefetching with the latest trend; we do that
 *          only when the previous prefetch had hits, otherwise nothing is prefetched.
 * Our reading, where uffd differs from Leap's swap path: Leap logs every swap-cache lookup, hits
 * included, and sizes a new window only on a miss. An access to a page uffd has filled raises no
 * event, so hits are inferred from the fault sequence: if a fault lands at P0 + mΔ, where P0 was
 * the last prefetch's origin and 1 <= m <= window+1, the prefetched pages P0+Δ ... P0+(m-1)Δ were
 * passed over, hence used: they count as hits and are logged in the history as accesses before
 * the fault (as Leap would have seen them). A fault on a prefetched page still in flight is a late
 * hit, as a lookup that finds a locked page in Leap's swap cache: counted and logged, but it is
 * not a miss, so it starts no new prefetch.
 * Decisions depend only on the fault sequence, but which faults happen depends on whether
 * prefetches arrive in time: not deterministic.
 *
 * How the prefetch is made (`apply`):
 *   rule  (default) the trend and window become the process's fault-time stride rule: the backend
 *         copies P+Δ ... P+wΔ inside every fault at P from then on, so the prefetch is on time even
 *         when the strategy hears of faults late; the rule is replaced when trend or window change
 *         (window at most MAX_RULE_PAGES). Hits count every page the rule asked for.
 *   copy  the paper's path: reactive copy commands for the window's lazy pages after each miss.
 *
 * Params:
 *   history    deltas kept per process, H (default 32, 4..4096)
 *   maxWindow  most pages prefetched per fault (default 64, 1..4096)
 *   apply      rule | copy (default rule)
 */
import { defineStrategy, copyPages, findProcess, MAX_RULE_PAGES, setFaultRules, Strategy, StrategyCommand, StrategyContext } from '@restorelab/core';
import { mergeMap, Observable } from 'rxjs';
import { BuiltInStrategy } from '../support/built-in-strategy';

/** Leap's AccessHistory: the last `capacity` page deltas of one process, and FindTrend over them. */
export class LeapHistory {
  private readonly deltas: Float64Array;
  private head = 0;
  private size = 0;
  private last = NaN;
  /** Candidate windows for FindTrend: H/4, H/2, H. */
  private readonly windows: readonly number[];

  constructor(readonly capacity: number) {
    this.deltas = new Float64Array(capacity);
    this.windows = [...new Set([Math.floor(capacity / 4), Math.floor(capacity / 2), capacity])].filter((w) => w >= 1);
  }

  /** The delta logged with the newest page (0 for the very first). */
  get lastDelta(): number {
    return this.size === 0 ? 0 : this.deltas[(this.head + this.capacity - 1) % this.capacity];
  }

  log(page: number): void {
    this.deltas[this.head] = Number.isNaN(this.last) ? 0 : page - this.last;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    this.last = page;
  }

  /** FindTrend: the majority delta of the smallest window that has one; undefined when none does. */
  trend(): number | undefined {
    for (const w of this.windows) {
      if (w > this.size) break;
      const d = this.majority(w);
      if (d !== undefined) return d === 0 ? undefined : d;
    }
    return undefined;
  }

  /** Boyer–Moore majority vote over the newest `w` deltas, then a counting pass to confirm it. */
  private majority(w: number): number | undefined {
    const at = (i: number) => this.deltas[(this.head + this.capacity - 1 - i) % this.capacity];
    let candidate = at(0);
    let votes = 1;
    for (let i = 1; i < w; i++) {
      if (at(i) === candidate) votes++;
      else if (--votes === 0) {
        candidate = at(i);
        votes = 1;
      }
    }
    let count = 0;
    for (let i = 0; i < w; i++) if (at(i) === candidate) count++;
    return 2 * count > w ? candidate : undefined;
  }
}

/** Smallest power of two >= x (x >= 1). */
function nextPowerOfTwo(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** What Leap keeps per process: the history, the window, and the last prefetch. */
class LeapProcess {
  readonly history: LeapHistory;
  window = 0;
  stride = 0;
  origin = 0;
  /** issued[k] = 1 when origin + k*stride was queued by the last prefetch, or already in flight. */
  readonly issued: Uint8Array;
  issuedWindow = 0;
  /** Hits on the last prefetch so far, and the last k they were counted up to. */
  hits = 0;
  private counted = 0;
  /** The stride rule last sent (stride and count in one number; 0: none). */
  ruleKey = 0;

  constructor(
    readonly pid: number,
    readonly totalPages: number,
    historySize: number,
    maxWindow: number,
  ) {
    this.history = new LeapHistory(historySize);
    this.issued = new Uint8Array(maxWindow + 1);
  }

  /**
   * Accounts a fault at `page` against the last prefetch: the prefetched pages passed over since
   * the last count are hits and are logged as accesses. True when `page` itself was prefetched and
   * is still in flight: a late hit, not a miss.
   */
  account(page: number): boolean {
    if (this.stride === 0 || this.issuedWindow === 0) return false;
    const m = (page - this.origin) / this.stride;
    if (!Number.isInteger(m) || m <= this.counted || m > this.issuedWindow + 1) return false;
    for (let k = this.counted + 1; k < m; k++) {
      if (!this.issued[k]) continue;
      this.history.log(this.origin + k * this.stride);
      this.hits++;
    }
    this.counted = m - 1;
    if (m > this.issuedWindow || !this.issued[m]) return false;
    this.hits++;
    this.counted = m;
    return true;
  }

  /** A new prefetch from `origin`: the hit count starts over. */
  restart(origin: number, stride: number, window: number): void {
    this.origin = origin;
    this.stride = stride;
    this.issuedWindow = stride === 0 ? 0 : window;
    this.issued.fill(0);
    this.hits = 0;
    this.counted = 0;
  }
}

export type LeapApply = 'rule' | 'copy';

export class LeapTrend implements Strategy {
  constructor(
    readonly historySize: number,
    readonly maxWindow: number,
    readonly apply: LeapApply = 'rule',
  ) {}

  attach(ctx: StrategyContext): Observable<StrategyCommand> {
    const procs = new Map<number, LeapProcess>();
    const procOf = (pid: number): LeapProcess => {
      let p = procs.get(pid);
      if (!p) {
        p = new LeapProcess(pid, findProcess(ctx.image, pid).totalPages, this.historySize, this.maxWindow);
        procs.set(pid, p);
      }
      return p;
    };

    return ctx.faults$.pipe(
      mergeMap((fault) => {
        const p = procOf(fault.pid);
        const late = p.account(fault.page);
        p.history.log(fault.page);
        if (late) return [];

        const hits = p.hits;
        const trend = p.history.trend();
        let window = hits > 0 ? nextPowerOfTwo(hits + 1) : trend !== undefined && p.history.lastDelta === trend ? 1 : 0;
        window = Math.max(Math.min(window, this.maxWindow), Math.floor(p.window / 2));
        p.window = window;

        p.restart(fault.page, trend ?? (hits > 0 ? p.stride : 0), window);
        return this.apply === 'rule' ? this.rule(p) : this.prefetch(ctx, p);
      }),
    );
  }

  /** The window as the process's stride rule, sent only when it changed; every page of it counts as asked for. */
  private rule(p: LeapProcess): StrategyCommand[] {
    const count = Math.min(p.issuedWindow, MAX_RULE_PAGES);
    for (let k = 1; k <= count; k++) p.issued[k] = 1;
    const stride = count > 0 && p.stride !== 0 && Math.abs(p.stride) < p.totalPages ? p.stride : 0;
    const key = stride === 0 ? 0 : stride * (MAX_RULE_PAGES + 1) + count;
    if (key === p.ruleKey) return [];
    p.ruleKey = key;
    return [setFaultRules(p.pid, { stride: stride === 0 ? null : { stride, count } })];
  }

  /**
   * Queues the lazy pages of the window along the stride, consecutive pages in one command. Pages
   * already in flight (an earlier window) count as prefetched without being asked for again.
   */
  private prefetch(ctx: StrategyContext, p: LeapProcess): StrategyCommand[] {
    const pages: number[] = [];
    for (let k = 1; k <= p.issuedWindow; k++) {
      const q = p.origin + k * p.stride;
      if (q < 0 || q >= p.totalPages) break;
      if (ctx.state.isInFlight(p.pid, q)) p.issued[k] = 1;
      else if (ctx.state.isLazy(p.pid, q)) {
        p.issued[k] = 1;
        pages.push(q);
      }
    }
    pages.sort((x, y) => x - y);
    const out: StrategyCommand[] = [];
    for (let i = 0; i < pages.length; ) {
      let j = i + 1;
      while (j < pages.length && pages[j] === pages[j - 1] + 1) j++;
      out.push(copyPages(p.pid, pages[i], j - i, 'prefetch'));
      i = j;
    }
    return out;
  }
}

export const leapTrend: BuiltInStrategy = defineStrategy({
  name: 'leap-trend',
  description: 'Leap (ATC 2020): majority-vote stride detection, prefetch window sized by hits',
  params: {
    history: { type: 'integer', default: 32, minimum: 4, maximum: 4096, description: 'page deltas kept per process (H)' },
    maxWindow: { type: 'integer', default: 64, minimum: 1, maximum: 4096, description: 'most pages prefetched per fault' },
    apply: { type: 'string', default: 'rule', enum: ['rule', 'copy'], description: 'rule: a fault-time stride rule the backend applies; copy: reactive copy commands' },
  },
  deterministic: false,
  create: ({ history, maxWindow, apply }) => new LeapTrend(history, maxWindow, apply),
});
