import { EventKind } from '../events/event-kind';
import { Image } from '../model/image';
import { PageRange } from '../model/page';
import { ReadonlyPageBitmap } from '../model/page-bitmap';
import { PageStateView } from '../strategy/strategy';
import { LazyIovList } from './lazy-iov-list';
import { PageFold, ProcessPages } from './page-fold';

/**
 * The page state of a restore for its image's processes: the log's fold (page-fold.ts) plus the
 * lazy IOV list per process. Fed event by event (apply), so the session, strategies, the command
 * gate, the simulator and replay share one fold.
 */
export class PageState implements PageStateView {
  private readonly fold: PageFold;
  private readonly lazy = new Map<number, LazyIovList>();
  private lastPid = -1;
  private last: ProcessPages | undefined;
  private lastLazy: LazyIovList | undefined;

  constructor(readonly image: Image) {
    this.fold = new PageFold(new Map(image.processes.map((p) => [p.pid, p.totalPages])));
    for (const p of image.processes) this.lazy.set(p.pid, new LazyIovList(p.pid));
  }

  private proc(pid: number): ProcessPages | undefined {
    if (pid === this.lastPid) return this.last;
    this.lastPid = pid;
    this.last = this.fold.process(pid);
    this.lastLazy = this.lazy.get(pid);
    return this.last;
  }

  apply(kind: number, pid: number, a: number, b: number, c: number, _d: number): void {
    const p = this.proc(pid);
    if (!p) return;
    const lazy = this.lastLazy!;
    if (kind === EventKind.VmaRegistered) {
      // a vma, b firstPage, c pages: pages registered and not present become lazy.
      const end = b + c;
      for (let i = p.present.next(b, end, false); i < end; ) {
        const stop = p.present.next(i, end, true);
        lazy.add(i, stop);
        i = p.present.next(stop, end, false);
      }
    } else if (kind === EventKind.PagesPrefilled || kind === EventKind.PagesCopied || kind === EventKind.ZeroPageMapped || kind === EventKind.VmaRemoved || kind === EventKind.VmaUnmapped) {
      lazy.remove(a, b);
    } else if (kind === EventKind.HugePageCollapsed) {
      lazy.remove(b, c);
    } else if (kind === EventKind.PagesDiscarded) {
      // a page dropped after registration (none is today: rounds end before it) is lazy again
      const end = a + b;
      for (let i = p.registered.next(a, end, true); i < end; ) {
        const stop = p.registered.next(i, end, false);
        lazy.add(i, stop);
        i = p.registered.next(stop, end, true);
      }
    }
    this.fold.apply(kind, pid, a, b, c);
  }

  /** The bitmaps of one process (the simulator reads presence here), undefined for a pid not in the image. */
  process(pid: number): ProcessPages | undefined {
    return this.fold.process(pid);
  }

  isPresent(pid: number, page: number): boolean {
    return this.proc(pid)?.present.get(page) ?? false;
  }
  isInFlight(pid: number, page: number): boolean {
    return this.proc(pid)?.inFlight.get(page) ?? false;
  }
  isRegistered(pid: number, page: number): boolean {
    return this.proc(pid)?.registered.get(page) ?? false;
  }
  isLazy(pid: number, page: number): boolean {
    const p = this.proc(pid);
    return !!p && p.registered.get(page) && !p.present.get(page) && !p.inFlight.get(page);
  }
  /** The first page in [page, end) that is not lazy, or end: a word of pages at a time. */
  lazyRunEnd(pid: number, page: number, end: number): number {
    const p = this.proc(pid);
    if (!p) return page;
    return Math.min(p.registered.next(page, end, false), p.present.next(page, end, true), p.inFlight.next(page, end, true));
  }
  /** The first lazy page in [page, end), or end. */
  nextLazyPage(pid: number, page: number, end: number): number {
    const p = this.proc(pid);
    if (!p) return end;
    for (let j = page; j < end; ) {
      const r = p.registered.next(j, end, true);
      const q = p.present.next(r, end, false);
      const f = p.inFlight.next(q, end, false);
      // [r, q) present, [q, f) in flight: none of them lazy
      if (f === r || f >= end) return f;
      j = f;
    }
    return end;
  }
  lazyRanges(pid: number): readonly PageRange[] {
    return this.lazy.get(pid)?.ranges() ?? [];
  }
  lazyRangeFrom(pid: number, page: number): PageRange | undefined {
    const r = this.lazy.get(pid)?.firstFrom(page);
    return r && r.page >= page ? r : undefined;
  }
  lazyRunFrom(pid: number, page: number, max: number): PageRange | undefined {
    const p = this.proc(pid);
    if (!p || !(max >= 1)) return undefined;
    const lazy = this.lastLazy!;
    // a lazy range's pages are registered and not present: only the in-flight ones are not lazy.
    // Ranges are looked at max pages at a time, so a long one costs what the run needs.
    for (let r = lazy.rangeWithin(page, max); r; r = lazy.rangeWithin(r.page + r.count, max)) {
      const end = r.page + r.count;
      const i = p.inFlight.next(r.page, end, false);
      if (i >= end) continue;
      const run = i === r.page ? r : lazy.rangeWithin(i, max)!;
      const j = p.inFlight.next(i, run.page + run.count, true);
      return { pid, page: i, count: j - i };
    }
    return undefined;
  }
  lazyIovs(pid: number): LazyIovList | undefined {
    return this.lazy.get(pid);
  }
  lazyPageCount(pid: number): number {
    return this.lazy.get(pid)?.pageCount ?? 0;
  }
  presentBitmap(pid: number): ReadonlyPageBitmap | undefined {
    return this.proc(pid)?.present;
  }
  inFlightBitmap(pid: number): ReadonlyPageBitmap | undefined {
    return this.proc(pid)?.inFlight;
  }
}
