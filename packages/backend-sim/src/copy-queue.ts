import { IndexFifo } from '@restorelab/core';

const PRIORITIES = 3;

/**
 * The copier's queue of asynchronous copy commands, in columns. A command is submitted with the
 * time it reaches the copier (now + decision latency); arrivals are in submit order because that
 * latency is constant. Arrived commands wait in one FIFO per priority (urgent, prefetch, background).
 */
export class CopyQueue {
  proc = new Int32Array(1024);
  page = new Uint32Array(1024);
  count = new Uint32Array(1024);
  cause = new Uint8Array(1024);
  priority = new Uint8Array(1024);
  /** CopyLanded's fields: the event the command answers and its CopyQueued event. */
  reactsTo = new Float64Array(1024);
  queuedSeq = new Float64Array(1024);
  private arrival = new Float64Array(1024);
  private submitted = 0;
  private arrived = 0;
  private readonly fifos = Array.from({ length: PRIORITIES }, () => new IndexFifo(256));

  submit(proc: number, page: number, count: number, cause: number, priority: number, arrival: number, reactsTo = -1, queuedSeq = -1): void {
    const i = this.submitted;
    if (i === this.proc.length) this.grow();
    this.proc[i] = proc;
    this.page[i] = page;
    this.count[i] = count;
    this.cause[i] = cause;
    this.priority[i] = priority < 0 || priority >= PRIORITIES ? PRIORITIES - 1 : priority;
    this.arrival[i] = arrival;
    this.reactsTo[i] = reactsTo;
    this.queuedSeq[i] = queuedSeq;
    this.submitted = i + 1;
  }

  /** When the next submitted command reaches the copier; Infinity when none is on its way. */
  nextArrival(): number {
    return this.arrived < this.submitted ? this.arrival[this.arrived] : Infinity;
  }

  /** When the last submitted command reaches the copier (-Infinity before the first). */
  lastArrival(): number {
    return this.submitted > 0 ? this.arrival[this.submitted - 1] : -Infinity;
  }

  /** Moves every command that has reached the copier by `now` into its priority FIFO, telling `landed`. */
  admit(now: number, landed?: (i: number) => void): void {
    while (this.arrived < this.submitted && this.arrival[this.arrived] <= now) {
      const i = this.arrived++;
      this.fifos[this.priority[i]].push(i);
      landed?.(i);
    }
  }

  /** The next command to serve (highest priority, oldest first), or -1. */
  take(): number {
    for (let p = 0; p < PRIORITIES; p++) {
      const i = this.fifos[p].shift();
      if (i >= 0) return i;
    }
    return -1;
  }

  /** Every command not served yet, arrived or not, in priority then FIFO order, then the ones on their way. */
  drain(fn: (i: number) => void): void {
    for (let i = this.take(); i >= 0; i = this.take()) fn(i);
    while (this.arrived < this.submitted) fn(this.arrived++);
  }

  private grow(): void {
    const cap = this.proc.length * 2;
    const g = <T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const n = make(cap);
      n.set(old);
      return n;
    };
    this.proc = g(this.proc, (n) => new Int32Array(n));
    this.page = g(this.page, (n) => new Uint32Array(n));
    this.count = g(this.count, (n) => new Uint32Array(n));
    this.cause = g(this.cause, (n) => new Uint8Array(n));
    this.priority = g(this.priority, (n) => new Uint8Array(n));
    this.arrival = g(this.arrival, (n) => new Float64Array(n));
    this.reactsTo = g(this.reactsTo, (n) => new Float64Array(n));
    this.queuedSeq = g(this.queuedSeq, (n) => new Float64Array(n));
  }
}
