import { CopyCause, EventKind, FaultFlag, PrefillSource, RejectReason, SwitchReasonName } from '../events/event-kind';
import { EventStore } from '../events/event-store';
import { PAGE_SIZE } from '../model/page';
import { PageBitmap } from '../model/page-bitmap';
import { PageFold } from '../state/page-fold';
import { Percentiles, PrecopyMetrics, RunMetrics } from './run-metrics';

/** What the metrics accumulate per pid, beside the page-state fold. */
interface PidFold {
  readonly touched: PageBitmap;
  /** Pages a strategy copied (PagesCopied prefetch, precopy, background). */
  readonly strategyCopied: PageBitmap;
  /** strategyCopied plus pages prefilled by a strategy or inherited at fork. */
  readonly strategyPresent: PageBitmap;
  workloadStart: number;
  rss: number;
  pss: number;
}

function newFold(): PidFold {
  return {
    touched: PageBitmap.growing(),
    strategyCopied: PageBitmap.growing(),
    strategyPresent: PageBitmap.growing(),
    workloadStart: NaN,
    rss: 0,
    pss: 0,
  };
}

/**
 * Every metric of a run from its event log alone (see run-metrics.ts and the event table in
 * event-kind.ts): one pass over the columns, bitmaps per pid, no object per event. A store read
 * back from the run's log file gives the identical object.
 */
export function computeMetrics(store: EventStore): RunMetrics {
  const n = store.length;
  const { t, kind, pid, a, b, c, d } = store;
  const folds = new Map<number, PidFold>();
  const pageFold = new PageFold();
  let lastPid = NaN;
  let cur: PidFold = newFold();
  const fold = (p: number): PidFold => {
    if (p !== lastPid) {
      let f = folds.get(p);
      if (!f) folds.set(p, (f = newFold()));
      cur = f;
      lastPid = p;
    }
    return cur;
  };

  let restoreStart = NaN;
  let lastPresentT = NaN;
  let workloadNs = 0;
  let demandFaults = 0;
  let latePrefetches = 0;
  let stallNs = 0;
  let serverStallNs = 0;
  const stalls = new GrowingSamples();
  const latencies = new GrowingSamples();
  const decisionLatencies = new GrowingSamples();
  let decisions = 0;
  const pages = [0, 0, 0, 0];
  let copyCalls = 0;
  let zeroPages = 0;
  let prefilledPages = 0;
  /** Prefilled from the image or by a strategy: sent before registration (inherited ones are the parent's). */
  let sentPrefilled = 0;
  let duplicateCopies = 0;
  let unrestoredPages = 0;
  let mismatchedPages = 0;
  let verifiedPages = 0;
  let strategyFailures = 0;
  let firstWorkloadStart = NaN;
  let switchOverT = NaN;
  let precopy: PrecopyMetrics | null = null;
  const precopyOf = (): PrecopyMetrics =>
    (precopy ??= { rounds: 0, sentPages: 0, dirtyPages: [], discardedPages: 0, switchReason: '', sourcePasses: 0 });

  for (let i = 0; i < n; i++) {
    pageFold.apply(kind[i], pid[i], a[i], b[i], c[i]);
    switch (kind[i]) {
      case EventKind.RestoreStarted:
        if (Number.isNaN(restoreStart)) restoreStart = t[i];
        break;
      case EventKind.FaultRaised: {
        if ((c[i] & FaultFlag.WriteProtect) === 0) demandFaults++;
        if (pageFold.process(pid[i])!.inFlight.get(a[i])) latePrefetches++;
        break;
      }
      case EventKind.FaultResolved:
        serverStallNs += b[i];
        latencies.push(b[i]);
        break;
      case EventKind.FaultStalled:
        stallNs += b[i];
        stalls.push(b[i]);
        break;
      case EventKind.CopyLanded: {
        decisions++;
        const reactsTo = c[i];
        if (Number.isInteger(reactsTo) && reactsTo >= 0 && reactsTo < i) decisionLatencies.push(t[i] - t[reactsTo]);
        break;
      }
      case EventKind.PagesCopied: {
        const cause = c[i];
        if (Number.isInteger(cause) && cause >= 0 && cause < pages.length) pages[cause] += b[i];
        copyCalls += d[i];
        lastPresentT = maxT(lastPresentT, t[i]);
        const f = fold(pid[i]);
        if (cause === CopyCause.Prefetch || cause === CopyCause.Precopy || cause === CopyCause.Background) {
          f.strategyCopied.setRange(a[i], b[i]);
          f.strategyPresent.setRange(a[i], b[i]);
        }
        break;
      }
      case EventKind.PagesPrefilled: {
        prefilledPages += b[i];
        if (c[i] === PrefillSource.Image || c[i] === PrefillSource.Strategy) sentPrefilled += b[i];
        lastPresentT = maxT(lastPresentT, t[i]);
        const f = fold(pid[i]);
        if (c[i] === PrefillSource.Strategy || c[i] === PrefillSource.Inherited || c[i] === PrefillSource.PrecopyRound) f.strategyPresent.setRange(a[i], b[i]);
        break;
      }
      case EventKind.PagesDiscarded:
        fold(pid[i]).strategyPresent.clearRange(a[i], b[i]);
        break;
      case EventKind.PrecopyRound: {
        const r = precopyOf();
        r.rounds++;
        r.sentPages += b[i];
        r.dirtyPages.push(c[i]);
        break;
      }
      case EventKind.SwitchOver: {
        const r = precopyOf();
        r.discardedPages += b[i];
        r.switchReason = SwitchReasonName[c[i]] ?? String(c[i]);
        r.sourcePasses = d[i];
        if (Number.isNaN(switchOverT)) switchOverT = t[i];
        break;
      }
      case EventKind.ZeroPageMapped:
        zeroPages += b[i];
        lastPresentT = maxT(lastPresentT, t[i]);
        break;
      case EventKind.HugePageCollapsed:
        lastPresentT = maxT(lastPresentT, t[i]);
        break;
      case EventKind.CopyRejected: {
        const reason = c[i];
        if (reason === RejectReason.Duplicate || reason === RejectReason.Eexist) duplicateCopies += b[i];
        break;
      }
      case EventKind.WorkloadStarted:
        fold(pid[i]).workloadStart = t[i];
        if (Number.isNaN(firstWorkloadStart)) firstWorkloadStart = t[i];
        break;
      case EventKind.WorkloadEnded: {
        const start = fold(pid[i]).workloadStart;
        if (!Number.isNaN(start) && t[i] - start > workloadNs) workloadNs = t[i] - start;
        break;
      }
      case EventKind.PagesTouched:
        fold(pid[i]).touched.setRange(a[i], b[i]);
        break;
      case EventKind.MemorySampled: {
        const f = fold(pid[i]);
        f.rss = a[i];
        f.pss = b[i];
        break;
      }
      case EventKind.PagesVerified:
        verifiedPages += a[i];
        mismatchedPages += b[i];
        unrestoredPages += c[i];
        break;
      case EventKind.StrategyFailed:
        strategyFailures++;
        break;
      default:
        break;
    }
  }

  let avoided = 0;
  let prefetched = 0;
  let prefetchedTouched = 0;
  let rssBytes = 0;
  let pssBytes = 0;
  for (const f of folds.values()) {
    avoided += f.touched.countAnd(f.strategyPresent);
    prefetchedTouched += f.touched.countAnd(f.strategyCopied);
    prefetched += f.strategyCopied.count();
    rssBytes += f.rss;
    pssBytes += f.pss;
  }

  const start = Number.isNaN(restoreStart) ? 0 : restoreStart;
  return {
    demandFaults,
    latePrefetches,
    stallNs: ns(stallNs),
    stallLatencyNs: percentiles(stalls.values()),
    serverStallNs: ns(serverStallNs),
    faultLatencyNs: percentiles(latencies.values()),
    decisions,
    decisionLatencyNs: percentiles(decisionLatencies.values()),
    restoreNs: Number.isNaN(lastPresentT) ? 0 : ns(Math.max(0, lastPresentT - start)),
    workloadNs: ns(workloadNs),
    pagesCopied: {
      demand: pages[CopyCause.Demand],
      prefetch: pages[CopyCause.Prefetch],
      precopy: pages[CopyCause.Precopy],
      background: pages[CopyCause.Background],
    },
    bytesCopied: {
      demand: pages[CopyCause.Demand] * PAGE_SIZE,
      prefetch: pages[CopyCause.Prefetch] * PAGE_SIZE,
      precopy: pages[CopyCause.Precopy] * PAGE_SIZE,
      background: pages[CopyCause.Background] * PAGE_SIZE,
    },
    copyCalls,
    zeroPages,
    prefilledPages,
    duplicateCopies,
    prefetchAccuracy: prefetched === 0 ? null : prefetchedTouched / prefetched,
    coverage: avoided + demandFaults === 0 ? null : avoided / (avoided + demandFaults),
    unrestoredPages,
    rssBytes: ns(rssBytes),
    pssBytes: ns(pssBytes),
    mismatchedPages,
    verifiedPages,
    strategyFailures,
    events: n,
    downtimeNs: Number.isNaN(firstWorkloadStart) ? 0 : ns(Math.max(0, firstWorkloadStart - (Number.isNaN(switchOverT) ? start : switchOverT))),
    transferPages: sentPrefilled + pages[0] + pages[1] + pages[2] + pages[3] + (precopy === null ? 0 : (precopy as PrecopyMetrics).sentPages),
    precopy,
  };
}

/**
 * A run is verified when at least one process ran, every process that started its workload has
 * a PagesVerified (and there are as many as RestoreStarted announced processes), and no page
 * mismatched the image.
 */
export function isVerified(store: EventStore, metrics: RunMetrics): boolean {
  if (metrics.mismatchedPages !== 0) return false;
  const started = new Set<number>();
  const verified = new Set<number>();
  let processes = 0;
  let sawStart = false;
  const { kind, pid, b } = store;
  for (let i = 0, n = store.length; i < n; i++) {
    const k = kind[i];
    if (k === EventKind.WorkloadStarted) started.add(pid[i]);
    else if (k === EventKind.PagesVerified) verified.add(pid[i]);
    else if (k === EventKind.RestoreStarted && !sawStart) {
      sawStart = true;
      processes = b[i];
    }
  }
  if (started.size === 0) return false;
  for (const p of started) if (!verified.has(p)) return false;
  return verified.size >= processes;
}

function maxT(m: number, t: number): number {
  return Number.isNaN(m) || t > m ? t : m;
}

/** A growable column of samples. */
class GrowingSamples {
  private buf = new Float64Array(1024);
  private n = 0;
  push(x: number): void {
    if (this.n === this.buf.length) {
      const grown = new Float64Array(this.n * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[this.n++] = x;
  }
  values(): Float64Array {
    return this.buf.subarray(0, this.n);
  }
}

/** p50, p90, p99 and max by nearest rank, whole ns (reorders `v`). */
export function percentiles(v: Float64Array): Percentiles {
  const n = v.length;
  const p50 = nearestRank(v, 50, 0);
  const p90 = nearestRank(v, 90, rankIndex(n, 50));
  const p99 = nearestRank(v, 99, rankIndex(n, 90));
  const max = nearestRank(v, 100, rankIndex(n, 99));
  return { p50: ns(p50), p90: ns(p90), p99: ns(p99), max: ns(max) };
}

/** Index of the nearest-rank p-th percentile among n values (0 when n is 0). */
function rankIndex(n: number, p: number): number {
  return Math.max(0, Math.min(n, Math.ceil((p * n) / 100)) - 1);
}

/**
 * Nearest-rank percentile, by selection in place (O(n), no sort). Selections for increasing p may
 * start at the previous one's index: everything before it is no larger.
 */
function nearestRank(values: Float64Array, p: number, from: number): number {
  const n = values.length;
  if (n === 0) return 0;
  const k = rankIndex(n, p);
  let lo = from;
  let hi = n - 1;
  // Hoare's FIND: partition around a median of three until k is in place; equal keys stay balanced.
  while (lo < hi) {
    const x = values[lo];
    const y = values[(lo + hi) >>> 1];
    const z = values[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    do {
      while (values[i] < pivot) i++;
      while (pivot < values[j]) j--;
      if (i <= j) {
        const tmp = values[i];
        values[i] = values[j];
        values[j] = tmp;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < k) lo = i;
    if (k < i) hi = j;
  }
  return values[k];
}

/** Whole ns (also turns -0 and NaN into 0), so metrics print and compare the same everywhere. */
function ns(x: number): number {
  return Math.round(x) || 0;
}

