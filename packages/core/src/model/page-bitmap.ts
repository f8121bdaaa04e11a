import { IMAGE_LIMITS } from './image-limits';
/** Largest page count a growing bitmap reaches (a bound against nonsense in a log). */
export const MAX_BITMAP_PAGES = IMAGE_LIMITS.maxTotalPages;

/**
 * The byte of a Uint32Array's buffer that holds page i's bit, as (i >> 3) ^ BYTE_SWAP, bit i & 7.
 * Single pages are tested and set through a byte view: a word with bit 30 or 31 set is no small
 * integer to JavaScript, and outside optimized code every read of one makes a heap number.
 */
export const BYTE_SWAP = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 3;

/** Bits set in a 32-bit word. */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Read access to a page bitmap. */
export interface ReadonlyPageBitmap {
  readonly size: number;
  get(i: number): boolean;
  /** The first page >= i and < limit whose bit is `on`, or limit. */
  next(i: number, limit: number, on: boolean): number;
  count(): number;
}

/**
 * One bit per page. Fixed to `size` pages (bits outside [0, size) are ignored), or growing: sized
 * from the ranges set into it (up to MAX_BITMAP_PAGES; a range that is negative or past that is
 * ignored), for folds of a log without its image.
 */
export class PageBitmap implements ReadonlyPageBitmap {
  private w: Uint32Array;
  /** The same bits, a byte at a time (BYTE_SWAP). */
  private b: Uint8Array;
  private n: number;

  constructor(
    size: number,
    private readonly growing = false,
  ) {
    this.n = size;
    this.w = new Uint32Array((size + 31) >>> 5);
    this.b = new Uint8Array(this.w.buffer);
  }

  static growing(): PageBitmap {
    return new PageBitmap(0, true);
  }

  get size(): number {
    return this.n;
  }

  get(i: number): boolean {
    return i >= 0 && (this.b[(i >> 3) ^ BYTE_SWAP] & (1 << (i & 7))) !== 0;
  }
  set(i: number): void {
    if (i >= 0) this.b[(i >> 3) ^ BYTE_SWAP] |= 1 << (i & 7);
  }
  clear(i: number): void {
    if (i >= 0) this.b[(i >> 3) ^ BYTE_SWAP] &= ~(1 << (i & 7));
  }
  setRange(start: number, count: number): void {
    if (this.growing) {
      if (!(start >= 0 && count > 0 && start + count <= MAX_BITMAP_PAGES)) return;
      this.ensure(start + count);
    }
    if (count === 1) {
      if (start >= 0 && start < this.n) this.b[(start >> 3) ^ BYTE_SWAP] |= 1 << (start & 7);
      return;
    }
    fillRange(this.w, Math.max(0, start), Math.min(this.n, start + count), true);
  }
  clearRange(start: number, count: number): void {
    if (count === 1) {
      if (start >= 0 && start < this.n) this.b[(start >> 3) ^ BYTE_SWAP] &= ~(1 << (start & 7));
      return;
    }
    fillRange(this.w, Math.max(0, start), Math.min(this.n, start + count), false);
  }
  /** Makes room for `pages` pages (growing bitmaps only). */
  ensure(pages: number): void {
    if (!this.growing || pages <= this.n) return;
    this.n = Math.min(pages, MAX_BITMAP_PAGES);
    const need = (this.n + 31) >>> 5;
    if (need <= this.w.length) return;
    const w = new Uint32Array(Math.min(Math.max(need, this.w.length * 2), (MAX_BITMAP_PAGES + 31) >>> 5));
    w.set(this.w);
    this.w = w;
    this.b = new Uint8Array(w.buffer);
  }
  count(): number {
    return this.countAnd(this);
  }
  /** Pages set in both this and `other`. */
  countAnd(other: PageBitmap): number {
    const x = this.w;
    const y = other.w;
    let n = 0;
    for (let i = 0, e = Math.min(x.length, y.length); i < e; i++) n += popcount32(x[i] & y[i]);
    return n;
  }
  /** The first page >= i and < limit whose bit is `on`, or limit: a word at a time. */
  next(i: number, limit: number, on: boolean): number {
    const end = Math.min(limit, this.n);
    if (!(i < end)) return limit;
    i = Math.max(0, i);
    const flip = on ? 0 : -1;
    let wi = i >>> 5;
    let word = ((this.w[wi] ^ flip) & (-1 << (i & 31))) >>> 0;
    const lastWord = (end - 1) >>> 5;
    while (word === 0) {
      if (++wi > lastWord) return limit;
      word = (this.w[wi] ^ flip) >>> 0;
    }
    const found = (wi << 5) + (31 - Math.clz32(word & -word));
    return found < end ? found : limit;
  }
}

/** Sets or clears bits [from, to) a word at a time. */
function fillRange(w: Uint32Array, from: number, to: number, on: boolean): void {
  if (!(from < to)) return;
  const first = from >>> 5;
  const last = (to - 1) >>> 5;
  const head = -1 << (from & 31);
  const tail = -1 >>> (31 - ((to - 1) & 31));
  if (first === last) {
    const m = head & tail;
    w[first] = on ? w[first] | m : w[first] & ~m;
    return;
  }
  w[first] = on ? w[first] | head : w[first] & ~head;
  w.fill(on ? 0xffffffff : 0, first + 1, last);
  w[last] = on ? w[last] | tail : w[last] & ~tail;
}
