/** A FIFO of non-negative integers (event seqs, command indices) in a typed array that grows only when needed. */
export class IndexFifo {
  private items: Int32Array;
  private head = 0;
  private tail = 0;

  constructor(capacity = 64) {
    this.items = new Int32Array(capacity);
  }

  get size(): number {
    return this.tail - this.head;
  }

  push(i: number): void {
    if (this.tail === this.items.length) {
      const live = this.tail - this.head;
      if (live * 2 > this.items.length) {
        const next = new Int32Array(this.items.length * 2);
        next.set(this.items.subarray(this.head, this.tail));
        this.items = next;
      } else this.items.copyWithin(0, this.head, this.tail);
      this.head = 0;
      this.tail = live;
    }
    this.items[this.tail++] = i;
  }

  /** The oldest, or -1 when empty. */
  shift(): number {
    if (this.head === this.tail) {
      this.head = this.tail = 0;
      return -1;
    }
    return this.items[this.head++];
  }
}
