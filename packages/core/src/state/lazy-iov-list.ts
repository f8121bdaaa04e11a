import { PageRange } from '../model/page';
import { BYTE_SWAP, popcount32 } from '../model/page-bitmap';

/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** First index >= from (and < limit) whose bit is `one`; limit when there is none. */
function scan(words: Uint32Array, from: number, limit: number, one: boolean): number {
  let w = from >>> 5;
  const last = (limit - 1) >>> 5;
  if (from >= limit) return limit;
  let bits = (one ? words[w] : ~words[w]) & (-1 << (from & 31));
  for (;;) {
    if (bits !== 0) {
      const i = (w << 5) + lowestBit(bits);
      return i < limit ? i : limit;
    }
    if (++w > last) return limit;
    bits = one ? words[w] : ~words[w];
  }
}

/**
 * The pages still to be restored, as sorted disjoint ranges [start, end) of linear page indices,
 * split at VMA boundaries because one UFFDIO_COPY may not cross a VMA (seed 003: CRIU lazy IOVs).
 * Ranges are removed, trimmed or split as pages arrive.
 *
 * Held as bitmaps, so that removing pages anywhere costs O(words of pages removed) however
 * fragmented the list gets: one bit per lazy page, one bit marking where each added range starts
 * (ranges added back to back stay apart), and one summary bit per non-empty word to skip empty
 * stretches.
 */
export class LazyIovList {
  private lazy = new Uint32Array(0);
  private starts = new Uint32Array(0);
  private summary = new Uint32Array(0);
  /** Byte and half-word views of the same bits, for one page at a time (see BYTE_SWAP). */
  private lazyB = new Uint8Array(0);
  private lazyH = new Uint16Array(0);
  private startsB = new Uint8Array(0);
  private summaryB = new Uint8Array(0);
  private size = 0;
  private pages = 0;
  private runs = 0;

  constructor(readonly pid: number) {}

  /** Appends a range; ranges must be added in ascending order, one VMA at a time. */
  add(start: number, end: number): void {
    if (end <= start) return;
    if (this.pages > 0 && start < this.lastLazy() + 1) throw new Error('lazy ranges must be added in ascending order');
    this.ensure(end);
    const { lazy, starts, summary } = this;
    for (let i = start; i < end; i++) {
      const w = i >>> 5;
      const bit = 1 << (i & 31);
      lazy[w] |= bit;
      starts[w] &= ~bit;
      summary[w >>> 5] |= 1 << (w & 31);
    }
    starts[start >>> 5] |= 1 << (start & 31);
    this.pages += end - start;
    this.runs++;
  }

  get pageCount(): number {
    return this.pages;
  }

  get rangeCount(): number {
    return this.runs;
  }

  contains(page: number): boolean {
    return page >= 0 && page < this.size && (this.lazyB[(page >> 3) ^ BYTE_SWAP] & (1 << (page & 7))) !== 0;
  }

  /** Removes [page, page+count) wherever it overlaps; returns how many lazy pages it removed. */
  remove(page: number, count: number): number {
    if (count === 1) return this.removeOne(page);
    if (!(count > 0)) return 0;
    const from = Math.max(0, page);
    const end = Math.min(page + count, this.size);
    if (from >= end) return 0;
    const { lazy, starts, summary } = this;
    // the page after the range starts a range of its own once the page before it is gone
    const splits = end < this.size && this.contains(end) && this.contains(end - 1) && (starts[end >>> 5] & (1 << (end & 31))) === 0;
    let removed = 0;
    let rangesGone = 0;
    const first = from >>> 5;
    const last = (end - 1) >>> 5;
    let carry = first > 0 ? lazy[first - 1] >>> 31 : 0;
    for (let w = first; w <= last; w++) {
      const mask = (w === last ? -1 >>> (31 - ((end - 1) & 31)) : -1) & (w === first ? -1 << (from & 31) : -1);
      const x = lazy[w];
      const gone = x & mask;
      if (gone !== 0) {
        // a lazy page starts a range when it is marked so or the page before it is not lazy
        rangesGone += popcount32(gone & (starts[w] | ~((x << 1) | carry)));
        removed += popcount32(gone);
        lazy[w] = x & ~mask;
        if (lazy[w] === 0) summary[w >>> 5] &= ~(1 << (w & 31));
      }
      carry = x >>> 31;
    }
    this.runs += (splits ? 1 : 0) - rangesGone;
    this.pages -= removed;
    return removed;
  }

  /** Removes one page (the fault path's case): 1 if it was lazy. */
  private removeOne(i: number): number {
    if (!(i >= 0 && i < this.size)) return 0;
    const { lazyB, startsB } = this;
    const k = (i >> 3) ^ BYTE_SWAP;
    const bit = 1 << (i & 7);
    if ((lazyB[k] & bit) === 0) return 0;
    // i stops being a range of its own, or splits one: i+1 starts a range if it is lazy
    if ((startsB[k] & bit) !== 0 || !this.contains(i - 1)) this.runs--;
    lazyB[k] &= ~bit;
    const w = i >> 5;
    if ((this.lazyH[2 * w] | this.lazyH[2 * w + 1]) === 0) this.summaryB[(w >> 3) ^ BYTE_SWAP] &= ~(1 << (w & 7));
    const n = i + 1;
    if (this.contains(n) && (startsB[(n >> 3) ^ BYTE_SWAP] & (1 << (n & 7))) === 0) this.runs++;
    this.pages--;
    return 1;
  }

  /** The lazy range at or after `page` (from `page` on when it is inside one), wrapping to the lowest. */
  firstFrom(page = 0): PageRange | undefined {
    if (this.pages === 0) return undefined;
    let i = this.nextLazy(Math.max(0, page));
    if (i < 0) i = this.nextLazy(0);
    return { pid: this.pid, page: i, count: this.rangeEnd(i) - i };
  }

  /**
   * The lazy range at or after `page` (from `page` on when it is inside one), no wrap, cut at `max`
   * pages: it scans no further than that, however long the range is.
   */
  rangeWithin(page: number, max: number): PageRange | undefined {
    if (this.pages === 0 || page >= this.size) return undefined;
    const i = this.nextLazy(Math.max(0, page));
    if (i < 0) return undefined;
    return { pid: this.pid, page: i, count: this.rangeEnd(i, Math.min(this.size, i + max)) - i };
  }

  ranges(): PageRange[] {
    const out: PageRange[] = [];
    for (let i = this.nextLazy(0); i >= 0; ) {
      const e = this.rangeEnd(i);
      out.push({ pid: this.pid, page: i, count: e - i });
      i = this.nextLazy(e);
    }
    return out;
  }

  /** End of the range that holds lazy page i: the first page after it that is not lazy or starts another (at most limit). */
  private rangeEnd(i: number, limit = this.size): number {
    const notLazy = scan(this.lazy, i + 1, limit, false);
    return scan(this.starts, i + 1, notLazy, true);
  }

  /** The first lazy page >= from, or -1; skips empty words through the summary. */
  private nextLazy(from: number): number {
    if (from >= this.size) return -1;
    const lazy = this.lazy;
    let w = from >>> 5;
    const bits = lazy[w] & (-1 << (from & 31));
    if (bits !== 0) return (w << 5) + lowestBit(bits);
    w++;
    const words = lazy.length;
    while (w < words) {
      const s = w >>> 5;
      const sbits = this.summary[s] & (-1 << (w & 31));
      if (sbits !== 0) {
        const lw = (s << 5) + lowestBit(sbits);
        return (lw << 5) + lowestBit(lazy[lw]);
      }
      w = (s + 1) << 5;
    }
    return -1;
  }

  private lastLazy(): number {
    for (let w = this.lazy.length - 1; w >= 0; w--) {
      const x = this.lazy[w];
      if (x !== 0) return (w << 5) + 31 - Math.clz32(x);
    }
    return -1;
  }

  private ensure(pages: number): void {
    if (pages <= this.size) return;
    this.size = pages;
    const words = (pages + 31) >>> 5;
    if (words <= this.lazy.length) return;
    const cap = Math.max(words, this.lazy.length * 2);
    const grow = (old: Uint32Array, n: number) => {
      const a = new Uint32Array(n);
      a.set(old);
      return a;
    };
    this.lazy = grow(this.lazy, cap);
    this.starts = grow(this.starts, cap);
    this.summary = grow(this.summary, (cap + 31) >>> 5);
    this.lazyB = new Uint8Array(this.lazy.buffer);
    this.lazyH = new Uint16Array(this.lazy.buffer);
    this.startsB = new Uint8Array(this.starts.buffer);
    this.summaryB = new Uint8Array(this.summary.buffer);
  }
}
