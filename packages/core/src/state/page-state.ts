import { EventKind, RejectReason } from '../events/event-kind';
import { Image } from '../model/image';
import { PageRange } from '../model/page';
import { PageBitmap } from '../model/page-bitmap';
import { PageStateView } from '../strategy/strategy';
import { LazyIovList } from './lazy-iov-list';

interface ProcState {
  readonly registered: PageBitmap;
  readonly present: PageBitmap;
  readonly inFlight: PageBitmap;
  readonly lazy: LazyIovList;
  readonly vmaFirst: Uint32Array;
  readonly vmaPages: Uint32Array;
}

/**
 * Projection of the log into page state: presence and in-flight bitmaps per process and the lazy
 * IOV list. Fed event by event (apply), so the session, strategies and replay share one fold.
 */
export class PageState implements PageStateView {
  private readonly procs = new Map<number, ProcState>();
  private lastPid = -1;
  private last: ProcState | undefined;

  constructor(readonly image: Image) {
    for (const p of image.processes) {
      const vmaFirst = new Uint32Array(p.vmas.map((v) => v.firstPage));
      const vmaPages = new Uint32Array(p.vmas.map((v) => v.pages));
      this.procs.set(p.pid, {
        registered: new PageBitmap(p.totalPages),
        present: new PageBitmap(p.totalPages),
        inFlight: new PageBitmap(p.totalPages),
        lazy: new LazyIovList(p.pid),
        vmaFirst,
        vmaPages,
      });
    }
  }

  private proc(pid: number): ProcState | undefined {
    if (pid === this.lastPid) return this.last;
    this.lastPid = pid;
    this.last = this.procs.get(pid);
    return this.last;
  }

  apply(kind: number, pid: number, a: number, b: number, c: number, d: number): void {
    const p = this.proc(pid);
    if (!p) return;
    switch (kind) {
      case EventKind.VmaRegistered: {
        // a vma, b firstPage, c pages: pages registered and not present become lazy.
        const first = b;
        p.registered.setRange(first, c);
        let run = -1;
        for (let i = first; i <= first + c; i++) {
          const lazy = i < first + c && !p.present.get(i);
          if (lazy && run < 0) run = i;
          if (!lazy && run >= 0) {
            p.lazy.add(run, i);
            run = -1;
          }
        }
        void d;
        break;
      }
      case EventKind.PagesPrefilled:
      case EventKind.PagesCopied:
      case EventKind.ZeroPageMapped:
        p.present.setRange(a, b);
        p.inFlight.clearRange(a, b);
        p.lazy.remove(a, b);
        break;
      case EventKind.HugePageCollapsed:
        // a vma, [b, b+c) now present: the holes of the collapsed 2 MiB range became zero pages.
        p.present.setRange(b, c);
        p.lazy.remove(b, c);
        break;
      case EventKind.CopyQueued:
        p.inFlight.setRange(a, b);
        break;
      case EventKind.CopyRejected:
        // duplicates and out-of-range requests were never queued: the pages in flight are others'
        if (c === RejectReason.Eexist || c === RejectReason.Enoent) p.inFlight.clearRange(a, b);
        break;
      case EventKind.VmaRemoved:
      case EventKind.VmaUnmapped:
        p.lazy.remove(a, b);
        p.inFlight.clearRange(a, b);
        p.registered.clearRange(a, b);
        break;
      default:
        break;
    }
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
  lazyRanges(pid: number): readonly PageRange[] {
    return this.proc(pid)?.lazy.ranges() ?? [];
  }
  lazyRangeFrom(pid: number, page: number): PageRange | undefined {
    const r = this.proc(pid)?.lazy.firstFrom(page);
    return r && r.page >= page ? r : undefined;
  }
  lazyIovs(pid: number): LazyIovList | undefined {
    return this.proc(pid)?.lazy;
  }
  lazyPageCount(pid: number): number {
    return this.proc(pid)?.lazy.pageCount ?? 0;
  }
  presentBitmap(pid: number): PageBitmap | undefined {
    return this.proc(pid)?.present;
  }
  inFlightBitmap(pid: number): PageBitmap | undefined {
    return this.proc(pid)?.inFlight;
  }
}
