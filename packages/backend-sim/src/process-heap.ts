/**
 * The running processes ordered by the time of their next access (ties: lower index first), as a
 * binary heap of process indices. Keys live in `time` (less the heap's offset), which the owner
 * updates before sift calls.
 */
export class ProcessHeap {
  readonly time: Float64Array;
  private readonly heap: Int32Array;
  private n = 0;
  /** Added to every key: delayAll() moves every process in the heap at once. */
  private offset = 0;

  constructor(processes: number) {
    this.time = new Float64Array(processes);
    this.heap = new Int32Array(processes);
  }

  get size(): number {
    return this.n;
  }

  /** The process that runs next, or -1. */
  top(): number {
    return this.n > 0 ? this.heap[0] : -1;
  }

  /** The earliest next-access time among the others than the top; Infinity when alone. */
  secondTime(): number {
    const n = this.n;
    if (n < 2) return Infinity;
    const t1 = this.time[this.heap[1]];
    return (n > 2 ? Math.min(t1, this.time[this.heap[2]]) : t1) + this.offset;
  }

  /** The next-access time of process i, in the heap. */
  timeOf(i: number): number {
    return this.time[i] + this.offset;
  }

  /** Every process in the heap runs ns later (the CPU they share was taken meanwhile); order is kept. */
  delayAll(ns: number): void {
    if (this.n > 0) this.offset += ns;
  }

  push(i: number, t: number): void {
    this.time[i] = t - this.offset;
    const k = this.n++;
    this.heap[k] = i;
    this.up(k);
  }

  /** The top's time grew to t. */
  retimeTop(t: number): void {
    this.time[this.heap[0]] = t - this.offset;
    this.down(0);
  }

  pop(): number {
    const top = this.heap[0];
    const last = this.heap[--this.n];
    if (this.n > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const ta = this.time[a];
    const tb = this.time[b];
    return ta < tb || (ta === tb && a < b);
  }

  private up(k: number): void {
    const h = this.heap;
    const x = h[k];
    while (k > 0) {
      const parent = (k - 1) >> 1;
      const p = h[parent];
      if (!this.less(x, p)) break;
      h[k] = p;
      k = parent;
    }
    h[k] = x;
  }

  private down(k: number): void {
    const h = this.heap;
    const n = this.n;
    const x = h[k];
    for (;;) {
      let c = 2 * k + 1;
      if (c >= n) break;
      if (c + 1 < n && this.less(h[c + 1], h[c])) c++;
      if (!this.less(h[c], x)) break;
      h[k] = h[c];
      k = c;
    }
    h[k] = x;
  }
}
