import { EVENT_KIND_COUNT, EventKind, RejectReason } from '../events/event-kind';
import { PageBitmap, ReadonlyPageBitmap } from '../model/page-bitmap';

/** A process's pages as the log says: registered with uffd, present, or queued for a copy. */
export interface ProcessPages {
  readonly registered: ReadonlyPageBitmap;
  readonly present: ReadonlyPageBitmap;
  readonly inFlight: ReadonlyPageBitmap;
}

interface Bitmaps {
  readonly registered: PageBitmap;
  readonly present: PageBitmap;
  readonly inFlight: PageBitmap;
}

/** The kinds that change page state (PageFold and PageState): 1 at their index, 0 elsewhere. */
export const PAGE_STATE_KINDS: Readonly<Uint8Array> = (() => {
  const t = new Uint8Array(EVENT_KIND_COUNT);
  for (const k of [
    EventKind.VmaRegistered,
    EventKind.PagesPrefilled,
    EventKind.PagesCopied,
    EventKind.ZeroPageMapped,
    EventKind.HugePageCollapsed,
    EventKind.CopyQueued,
    EventKind.CopyRejected,
    EventKind.VmaRemoved,
    EventKind.VmaUnmapped,
    EventKind.PagesDiscarded,
  ])
    t[k] = 1;
  return t;
})();

/**
 * The one fold of page state from the log, event by event: the session's PageState (for strategies
 * and the command gate), computeMetrics and the simulator all read it. With process sizes (an
 * image) it tracks those processes only; without, any pid, sized from the log.
 */
export class PageFold {
  private readonly procs = new Map<number, Bitmaps>();
  private lastPid = NaN;
  private last: Bitmaps | undefined;

  constructor(sizes?: ReadonlyMap<number, number>) {
    if (sizes) for (const [pid, pages] of sizes) this.procs.set(pid, bitmaps(() => new PageBitmap(pages)));
    this.open = !sizes;
  }

  private readonly open: boolean;

  process(pid: number): ProcessPages | undefined {
    return this.bitmaps(pid);
  }

  private bitmaps(pid: number): Bitmaps | undefined {
    if (pid === this.lastPid) return this.last;
    let b = this.procs.get(pid);
    if (!b && this.open) this.procs.set(pid, (b = bitmaps(() => PageBitmap.growing())));
    this.lastPid = pid;
    this.last = b;
    return b;
  }

  apply(kind: number, pid: number, a: number, b: number, c: number): void {
    switch (kind) {
      case EventKind.VmaRegistered: // a vma, b firstPage, c pages
        this.bitmaps(pid)?.registered.setRange(b, c);
        break;
      case EventKind.PagesPrefilled:
      case EventKind.PagesCopied:
      case EventKind.ZeroPageMapped: {
        const p = this.bitmaps(pid);
        p?.present.setRange(a, b);
        p?.inFlight.clearRange(a, b);
        break;
      }
      case EventKind.HugePageCollapsed: // a vma, [b, b+c) now present
        this.bitmaps(pid)?.present.setRange(b, c);
        break;
      case EventKind.PagesDiscarded:
        this.bitmaps(pid)?.present.clearRange(a, b);
        break;
      case EventKind.CopyQueued:
        this.bitmaps(pid)?.inFlight.setRange(a, b);
        break;
      case EventKind.CopyRejected:
        // duplicates and out-of-range requests were never queued: the pages in flight are others'
        if (c === RejectReason.Eexist || c === RejectReason.Enoent) this.bitmaps(pid)?.inFlight.clearRange(a, b);
        break;
      case EventKind.VmaRemoved:
      case EventKind.VmaUnmapped: {
        const p = this.bitmaps(pid);
        p?.inFlight.clearRange(a, b);
        p?.registered.clearRange(a, b);
        break;
      }
      default:
        break;
    }
  }
}

function bitmaps(make: () => PageBitmap): Bitmaps {
  return { registered: make(), present: make(), inFlight: make() };
}
