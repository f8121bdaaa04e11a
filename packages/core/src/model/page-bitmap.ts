/** One bit per page. */
export class PageBitmap {
  readonly words: Uint32Array;
  constructor(readonly size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
  }
  get(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }
  set(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }
  clear(i: number): void {
    this.words[i >>> 5] &= ~(1 << (i & 31));
  }
  /** Bits outside [0, size) are ignored. */
  setRange(start: number, count: number): void {
    for (let i = Math.max(0, start), e = Math.min(this.size, start + count); i < e; i++) this.words[i >>> 5] |= 1 << (i & 31);
  }
  clearRange(start: number, count: number): void {
    for (let i = Math.max(0, start), e = Math.min(this.size, start + count); i < e; i++) this.words[i >>> 5] &= ~(1 << (i & 31));
  }
  count(): number {
    let n = 0;
    for (let w of this.words) {
      w = w - ((w >>> 1) & 0x55555555);
      w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
      n += (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return n;
  }
  /** Length of the run of clear bits starting at i, at most max, never past limit. */
  clearRun(i: number, max: number, limit: number): number {
    let n = 0;
    while (n < max && i + n < limit && !this.get(i + n)) n++;
    return n;
  }
}
