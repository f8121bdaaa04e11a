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

/** What an event does to the bitmaps, by kind (literal cases below: a jump table, no lookups). */
const FoldOp = { None: 0, Register: 1, Arrive: 2, Collapse: 3, Discard: 4, Queue: 5, Reject: 6, Drop: 7 } as const;
const FOLD_OP: Readonly<Uint8Array> = (() => {
  const t = new Uint8Array(EVENT_KIND_COUNT);
  t[EventKind.VmaRegistered] = FoldOp.Register;
  t[EventKind.PagesPrefilled] = FoldOp.Arrive;
  t[EventKind.PagesCopied] = FoldOp.Arrive;
  t[EventKind.ZeroPageMapped] = FoldOp.Arrive;
  t[EventKind.HugePageCollapsed] = FoldOp.Collapse;
  t[EventKind.PagesDiscarded] = FoldOp.Discard;
  t[EventKind.CopyQueued] = FoldOp.Queue;
  t[EventKind.CopyRejected] = FoldOp.Reject;
  t[EventKind.VmaRemoved] = FoldOp.Drop;
  t[EventKind.VmaUnmapped] = FoldOp.Drop;
  return t;
})();

/** The kinds that change page state (PageFold and PageState): 1 at their index, 0 elsewhere. */
export const PAGE_STATE_KINDS: Readonly<Uint8Array> = FOLD_OP.map((op) => (op === FoldOp.None ? 0 : 1));

/**
 * The one fold of page state from the log, event by event: the session's PageState (for strategies
 * and the command gate), computeMetrics and the simulator all read it. With process sizes (an
 * image) it tracks those processes only; without, any pid, sized from the log.
 */
export class PageFold {
  private readonly procs = new Map<number, Bitmaps>();
  /** undefined, not NaN: the field stays a tagged one (no heap number per pid stored). */
  private lastPid: number | undefined = undefined;
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
    const op = FOLD_OP[kind];
    // duplicates and out-of-range requests were never queued: the pages in flight are others'
    if (op === 0 || (op === 6 && c !== RejectReason.Eexist && c !== RejectReason.Enoent)) return;
    const p = this.bitmaps(pid);
    if (!p) return;
    // the literals are FoldOp's: Ignition makes a jump table of literal cases only
    switch (op) {
      case 1: // Register: a vma, b firstPage, c pages
        p.registered.setRange(b, c);
        break;
      case 2: // Arrive
        p.present.setRange(a, b);
        p.inFlight.clearRange(a, b);
        break;
      case 3: // Collapse: a vma, [b, b+c) now present
        p.present.setRange(b, c);
        break;
      case 4: // Discard
        p.present.clearRange(a, b);
        break;
      case 5: // Queue
        p.inFlight.setRange(a, b);
        break;
      case 6: // Reject, EEXIST or ENOENT
        p.inFlight.clearRange(a, b);
        break;
      case 7: // Drop
        p.inFlight.clearRange(a, b);
        p.registered.clearRange(a, b);
        break;
      default:
        break;
    }
  }
}

function bitmaps(make: () => PageBitmap): Bitmaps {
  return { registered: make(), present: make(), inFlight: make() };
}
