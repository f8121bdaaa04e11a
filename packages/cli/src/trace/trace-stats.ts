import { scanTrace, TraceBatch } from '@restorelab/core';

/** Fractions of a process's accesses at which the working-set curve is read. */
export const WORKING_SET_POINTS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

export interface ProcessTraceStats {
  readonly pid: number;
  readonly parent: number | null;
  readonly accesses: number;
  readonly sourceAccesses: number;
  /** Distinct pages touched. */
  readonly pages: number;
  readonly writeFraction: number;
  /** Accesses to the page right after the previous access's. */
  readonly sequentialFraction: number;
  /** First touches of a page, over all accesses. */
  readonly coldFraction: number;
  /** LRU stack distance (distinct pages touched in between) of re-accesses: median, p90, p99; null without re-accesses. */
  readonly reuseDistance: { readonly p50: number; readonly p90: number; readonly p99: number } | null;
  /** Distinct pages after each fraction of the accesses (WORKING_SET_POINTS). */
  readonly workingSet: readonly number[];
}

export interface TraceStats {
  readonly file: string;
  readonly name: string;
  readonly bytes: number;
  readonly accesses: number;
  readonly bytesPerAccess: number;
  readonly processes: readonly ProcessTraceStats[];
}

/** Exact LRU stack distances in O(n log n): a Fenwick tree over access times marks each page's latest access. */
class ProcessStats {
  private readonly tree: Int32Array;
  private readonly last = new Map<number, number>();
  private readonly distances: Uint32Array;
  private reuses = 0;
  private i = 0;
  private writes = 0;
  private sequential = 0;
  private prev = -2;
  private readonly curve: number[] = [];
  private readonly marks: number[];

  constructor(
    readonly pid: number,
    readonly parent: number | null,
    readonly n: number,
    readonly migrateAt: number,
  ) {
    this.tree = new Int32Array(n + 1);
    this.distances = new Uint32Array(n);
    this.marks = WORKING_SET_POINTS.map((f) => Math.max(1, Math.ceil(f * n)));
  }

  add(b: TraceBatch): void {
    for (let k = 0; k < b.count; k++) {
      const page = b.page[k];
      const i = this.i++;
      if (b.write[k]) this.writes++;
      if (page === this.prev + 1) this.sequential++;
      this.prev = page;
      const before = this.last.get(page);
      if (before !== undefined) {
        this.distances[this.reuses++] = this.prefix(i) - this.prefix(before + 1);
        this.bump(before + 1, -1);
      }
      this.bump(i + 1, 1);
      this.last.set(page, i);
      while (this.curve.length < this.marks.length && this.i === this.marks[this.curve.length]) this.curve.push(this.last.size);
    }
  }

  result(): ProcessTraceStats {
    const n = this.n;
    const d = this.distances.subarray(0, this.reuses).sort();
    const at = (q: number) => d[Math.min(d.length - 1, Math.floor(q * d.length))];
    while (this.curve.length < WORKING_SET_POINTS.length) this.curve.push(this.last.size);
    return {
      pid: this.pid,
      parent: this.parent,
      accesses: n,
      sourceAccesses: this.migrateAt,
      pages: this.last.size,
      writeFraction: n ? this.writes / n : 0,
      sequentialFraction: n > 1 ? this.sequential / (n - 1) : 0,
      coldFraction: n ? this.last.size / n : 0,
      reuseDistance: d.length ? { p50: at(0.5), p90: at(0.9), p99: at(0.99) } : null,
      workingSet: this.curve,
    };
  }

  private bump(pos: number, delta: number): void {
    for (let x = pos; x < this.tree.length; x += x & -x) this.tree[x] += delta;
  }

  /** Marks at positions [1, pos]. */
  private prefix(pos: number): number {
    let s = 0;
    for (let x = pos; x > 0; x -= x & -x) s += this.tree[x];
    return s;
  }
}

/** Reads the trace twice: once for the counts (so the structures are sized by what is there), once for the statistics. */
export function traceStats(file: string, bytes: number): TraceStats {
  const summary = scanTrace(file);
  const procs = new Map(summary.processes.map((p) => [p.pid, new ProcessStats(p.pid, p.parent, p.accesses, p.migrateAt)]));
  scanTrace(file, { accesses: (b) => procs.get(b.pid)!.add(b) });
  return {
    file,
    name: summary.info.name,
    bytes,
    accesses: summary.accesses,
    bytesPerAccess: summary.accesses ? bytes / summary.accesses : 0,
    processes: [...procs.values()].map((p) => p.result()),
  };
}
