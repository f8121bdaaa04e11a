import { scanTrace, TraceProcessHead } from './trace-reader';
import { TraceInfo } from './trace-format';

/** One process of a trace, in memory: virtual page numbers, writes and gaps, one entry per access. */
export interface TraceProcess extends TraceProcessHead {
  readonly page: Float64Array;
  readonly write: Uint8Array;
  readonly gapNs: Uint32Array;
  readonly migrateAt: number;
}

export interface TraceData {
  readonly file: string;
  readonly info: TraceInfo;
  readonly processes: readonly TraceProcess[];
}

class Columns {
  page = new Float64Array(1024);
  write = new Uint8Array(1024);
  gapNs = new Uint32Array(1024);
  length = 0;
  constructor(readonly head: TraceProcessHead) {}

  /** Grows by doubling: what is held is never more than what was decoded (never what a file claims). */
  reserve(n: number): void {
    if (this.length + n <= this.page.length) return;
    let cap = this.page.length;
    while (cap < this.length + n) cap *= 2;
    const page = new Float64Array(cap);
    page.set(this.page.subarray(0, this.length));
    const write = new Uint8Array(cap);
    write.set(this.write.subarray(0, this.length));
    const gapNs = new Uint32Array(cap);
    gapNs.set(this.gapNs.subarray(0, this.length));
    this.page = page;
    this.write = write;
    this.gapNs = gapNs;
  }
}

/** A whole trace in memory (9+8 bytes per access). Throws UsageError as scanTrace does. */
export function readTrace(file: string): TraceData {
  const cols = new Map<number, Columns>();
  const order: Columns[] = [];
  const summary = scanTrace(file, {
    process(head) {
      const c = new Columns(head);
      cols.set(head.pid, c);
      order.push(c);
    },
    accesses(b) {
      const c = cols.get(b.pid)!;
      c.reserve(b.count);
      c.page.set(b.page.subarray(0, b.count), c.length);
      c.write.set(b.write.subarray(0, b.count), c.length);
      c.gapNs.set(b.gapNs.subarray(0, b.count), c.length);
      c.length += b.count;
    },
  });
  const processes = order.map((c, i) => ({
    ...c.head,
    page: c.page.subarray(0, c.length),
    write: c.write.subarray(0, c.length),
    gapNs: c.gapNs.subarray(0, c.length),
    migrateAt: summary.processes[i].migrateAt,
  }));
  return { file, info: summary.info, processes };
}
