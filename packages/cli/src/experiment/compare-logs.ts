import * as fs from 'fs';
import { computeMetrics, EventKind, EventLog, EventStore, FaultFlag, isVerified, fileError, openRegularFile, readEventLog, RejectReason, RunMetrics, UsageError } from '@restorelab/core';
import { isArrowFile } from './arrow-log';
import { readArrowLog } from './arrow-log-sandbox';
import { flattenMetrics } from './results-table';

/** Reads a run's log: core's .rlog format or the matrix's Arrow IPC file (told apart by their bytes). */
export function readAnyLog(file: string): EventLog {
  let head: Buffer;
  try {
    const { fd } = openRegularFile(file);
    try {
      head = Buffer.alloc(8);
      fs.readSync(fd, head, 0, 8, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw new UsageError(`cannot read log ${file}: ${fileError(e)}`);
  }
  return isArrowFile(head) ? readArrowLog(file) : readEventLog(file);
}

export interface FaultRef {
  readonly pid: number;
  readonly page: number;
}

export interface FaultDivergence {
  readonly faultsA: number;
  readonly faultsB: number;
  readonly identical: boolean;
  /** First index where the (pid, page) sequences differ; null when identical. */
  readonly firstDifference: { readonly index: number; readonly a: FaultRef | null; readonly b: FaultRef | null } | null;
  /** Faults (as a multiset of (pid, page)) of A that B does not have, and the reverse. */
  readonly onlyInA: number;
  readonly onlyInB: number;
  /**
   * When the first differing fault of either run is on a page a strategy had already asked for
   * (queued before the fault, not copied yet): the sequences diverge because that decision was late.
   */
  readonly lateDecision: LateDecision | null;
}

export interface LateDecision {
  /** The run whose fault the decision came too late for. */
  readonly run: 'A' | 'B';
  readonly fault: FaultRef;
  /** How long before the fault the command was queued (CopyQueued), ns. */
  readonly queuedBeforeNs: number;
  /** How long after the fault it reached the backend's queue (CopyLanded); null when it had landed before, or never did. */
  readonly landedAfterNs: number | null;
}

export interface MetricComparison {
  readonly metric: string;
  /** A string for a metric that is not a number (precopy.switchReason, the dirty sets of the rounds). */
  readonly a: number | string | null;
  readonly b: number | string | null;
  /** b - a */
  readonly diff: number | null;
  /** (b - a) / a */
  readonly relative: number | null;
}

export interface RunSide {
  readonly file: string;
  readonly backend: string;
  readonly workload: string;
  readonly strategy: string;
  readonly seed: number;
  readonly verified: boolean;
  readonly metrics: RunMetrics;
}

export interface LogComparison {
  readonly a: RunSide;
  readonly b: RunSide;
  readonly sameWorkload: boolean;
  readonly metrics: readonly MetricComparison[];
  readonly faults: FaultDivergence;
}

/** The demand faults of a log in order, as (pid, page) pairs in two columns. */
export function demandFaults(store: EventStore): { pid: Int32Array; page: Float64Array } {
  let n = 0;
  for (let i = 0; i < store.length; i++)
    if (store.kind[i] === EventKind.FaultRaised && (store.c[i] & FaultFlag.WriteProtect) === 0) n++;
  const pid = new Int32Array(n);
  const page = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < store.length; i++) {
    if (store.kind[i] === EventKind.FaultRaised && (store.c[i] & FaultFlag.WriteProtect) === 0) {
      pid[j] = store.pid[i];
      page[j] = store.a[i];
      j++;
    }
  }
  return { pid, page };
}

export function compareFaults(a: EventStore, b: EventStore): FaultDivergence {
  const fa = demandFaults(a);
  const fb = demandFaults(b);
  const na = fa.pid.length;
  const nb = fb.pid.length;
  let first = -1;
  const common = Math.min(na, nb);
  for (let i = 0; i < common; i++) {
    if (fa.pid[i] !== fb.pid[i] || fa.page[i] !== fb.page[i]) {
      first = i;
      break;
    }
  }
  if (first < 0 && na !== nb) first = common;
  const counts = new Map<string, number>();
  for (let i = 0; i < na; i++) {
    const k = `${fa.pid[i]}:${fa.page[i]}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  let onlyInB = 0;
  for (let i = 0; i < nb; i++) {
    const k = `${fb.pid[i]}:${fb.page[i]}`;
    const c = counts.get(k) ?? 0;
    if (c > 0) counts.set(k, c - 1);
    else onlyInB++;
  }
  let onlyInA = 0;
  for (const c of counts.values()) onlyInA += c;
  const ref = (f: { pid: Int32Array; page: Float64Array }, i: number): FaultRef | null =>
    i < f.pid.length ? { pid: f.pid[i], page: f.page[i] } : null;
  const late = (run: 'A' | 'B', store: EventStore, f: { pid: Int32Array; page: Float64Array }): LateDecision | null =>
    first >= 0 && first < f.pid.length ? lateDecisionAt(store, first, run) : null;
  return {
    faultsA: na,
    faultsB: nb,
    identical: first < 0,
    firstDifference: first < 0 ? null : { index: first, a: ref(fa, first), b: ref(fb, first) },
    onlyInA,
    onlyInB,
    lateDecision: late('A', a, fa) ?? late('B', b, fb),
  };
}

/** Whether the `index`-th demand fault of a log hit a page a strategy's command had queued and not yet copied. */
export function lateDecisionAt(store: EventStore, index: number, run: 'A' | 'B'): LateDecision | null {
  let at = -1;
  for (let i = 0, n = 0; i < store.length; i++) {
    if (store.kind[i] === EventKind.FaultRaised && (store.c[i] & FaultFlag.WriteProtect) === 0 && n++ === index) {
      at = i;
      break;
    }
  }
  if (at < 0) return null;
  const pid = store.pid[at];
  const page = store.a[at];
  const holds = (i: number) => store.pid[i] === pid && store.a[i] <= page && page < store.a[i] + store.b[i];
  // the latest command for the page before the fault, unless something answered it before the fault
  let queued = -1;
  for (let i = at - 1; i >= 0 && queued < 0; i--) {
    if (!holds(i)) continue;
    const k = store.kind[i];
    if (k === EventKind.PagesCopied || k === EventKind.ZeroPageMapped || (k === EventKind.CopyRejected && store.c[i] !== RejectReason.Duplicate && store.c[i] !== RejectReason.OutOfRange)) return null;
    if (k === EventKind.CopyQueued) queued = i;
  }
  if (queued < 0) return null;
  let landedAfterNs: number | null = null;
  for (let i = queued + 1; i < store.length; i++) {
    if (store.kind[i] === EventKind.CopyLanded && store.d[i] === queued) {
      landedAfterNs = i > at ? store.t[i] - store.t[at] : null;
      break;
    }
  }
  return { run, fault: { pid, page }, queuedBeforeNs: store.t[at] - store.t[queued], landedAfterNs };
}

function side(file: string, log: EventLog): RunSide {
  const metrics = computeMetrics(log.store);
  return {
    file,
    backend: log.meta.backend,
    workload: log.meta.workload,
    strategy: log.meta.strategy,
    seed: log.meta.seed,
    verified: isVerified(log.store, metrics),
    metrics,
  };
}

export function compareLogs(fileA: string, a: EventLog, fileB: string, b: EventLog): LogComparison {
  const sa = side(fileA, a);
  const sb = side(fileB, b);
  const ma = flattenMetrics(sa.metrics);
  const mb = flattenMetrics(sb.metrics);
  const keys = [...new Set([...Object.keys(ma), ...Object.keys(mb)])];
  const metrics = keys.map((metric) => {
    const value = (v: unknown) => (typeof v === 'number' || typeof v === 'string' ? v : null);
    const x = value(ma[metric]);
    const y = value(mb[metric]);
    const diff = typeof x === 'number' && typeof y === 'number' ? y - x : null;
    return { metric, a: x, b: y, diff, relative: diff !== null && x !== 0 ? diff / (x as number) : null };
  });
  return {
    a: sa,
    b: sb,
    sameWorkload: sa.workload === sb.workload,
    metrics,
    faults: compareFaults(a.store, b.store),
  };
}
