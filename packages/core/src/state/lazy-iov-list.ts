import { PageRange } from '../model/page';

/**
 * The pages still to be restored, as sorted disjoint ranges [start, end) of linear page indices,
 * split at VMA boundaries because one UFFDIO_COPY may not cross a VMA (seed 003: CRIU lazy IOVs).
 * Ranges are removed, trimmed or split as pages arrive.
 */
export class LazyIovList {
  private starts: number[] = [];
  private ends: number[] = [];
  private pages = 0;

  constructor(readonly pid: number) {}

  /** Appends a range; ranges must be added in ascending order, one VMA at a time. */
  add(start: number, end: number): void {
    if (end <= start) return;
    const n = this.starts.length;
    if (n > 0 && start < this.ends[n - 1]) throw new Error('lazy ranges must be added in ascending order');
    this.starts.push(start);
    this.ends.push(end);
    this.pages += end - start;
  }

  get pageCount(): number {
    return this.pages;
  }

  get rangeCount(): number {
    return this.starts.length;
  }

  /** Index of the first range whose end is > page. */
  private lowerBound(page: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid] <= page) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  contains(page: number): boolean {
    const i = this.lowerBound(page);
    return i < this.starts.length && this.starts[i] <= page;
  }

  /** Removes [page, page+count) wherever it overlaps; returns how many lazy pages it removed. */
  remove(page: number, count: number): number {
    const end = page + count;
    let i = this.lowerBound(page);
    let removed = 0;
    while (i < this.starts.length && this.starts[i] < end) {
      const s = this.starts[i];
      const e = this.ends[i];
      const cutS = Math.max(s, page);
      const cutE = Math.min(e, end);
      removed += cutE - cutS;
      if (cutS === s && cutE === e) {
        this.starts.splice(i, 1);
        this.ends.splice(i, 1);
        continue;
      }
      if (cutS === s) {
        this.starts[i] = cutE;
      } else if (cutE === e) {
        this.ends[i] = cutS;
      } else {
        this.ends[i] = cutS;
        this.starts.splice(i + 1, 0, cutE);
        this.ends.splice(i + 1, 0, e);
      }
      i++;
    }
    this.pages -= removed;
    return removed;
  }

  /** The lazy range at or after `page` (from `page` on when it is inside one), wrapping to the lowest. */
  firstFrom(page = 0): PageRange | undefined {
    if (this.starts.length === 0) return undefined;
    const i = this.lowerBound(page);
    if (i < this.starts.length) {
      const s = Math.max(this.starts[i], page);
      return { pid: this.pid, page: s, count: this.ends[i] - s };
    }
    return { pid: this.pid, page: this.starts[0], count: this.ends[0] - this.starts[0] };
  }

  ranges(): PageRange[] {
    return this.starts.map((s, i) => ({ pid: this.pid, page: s, count: this.ends[i] - s }));
  }
}
