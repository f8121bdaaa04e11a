import {
  CopyCause,
  EventKind,
  PageBitmap,
  PageFlag,
  PageRange,
  PageStateView,
  ReadonlyPageBitmap,
  ProcessImage,
  RejectReason,
  StrategyContext,
} from '@restorelab/core';
import { filter, merge, Observable } from 'rxjs';

/**
 * The copier's answers to background copies: PagesCopied(background), and CopyRejected(EEXIST...)
 * for pages a demand fault copied first. Duplicates are left out: the core drops those before they
 * are queued, so nobody waits for them.
 */
export function backgroundAnswers$(ctx: StrategyContext): Observable<PageRange> {
  const copied = ctx.copies$.pipe(filter((e) => e.cause === CopyCause.Background));
  const rejected = ctx.on(EventKind.CopyRejected).pipe(
    filter((e) => e.cause === CopyCause.Background && e.reason !== RejectReason.Duplicate),
  );
  return merge(copied, rejected);
}

/**
 * One background chunk in flight for one process. The chunk is issued over lazy pages only, so the
 * core queues all of it and the copier answers for every page; when the answers cover the chunk it
 * is settled and the next one may go.
 */
export class ChunkInFlight {
  private page = 0;
  private end = 0;
  private outstanding = 0;

  get busy(): boolean {
    return this.outstanding > 0;
  }

  issue(range: PageRange): void {
    this.page = range.page;
    this.end = range.page + range.count;
    this.outstanding = range.count;
  }

  /** Counts an answer; true when it settles the chunk. */
  settle(answer: PageRange): boolean {
    if (this.outstanding === 0) return false;
    const overlap = Math.min(this.end, answer.page + answer.count) - Math.max(this.page, answer.page);
    if (overlap <= 0) return false;
    this.outstanding = Math.max(0, this.outstanding - overlap);
    return this.outstanding === 0;
  }
}

const contentOf = new WeakMap<ProcessImage, PageBitmap>();

/**
 * The pages with content of a process image, as a bitmap built once per image: about 1 ms for
 * 256 MiB in baseline code, so a strategy that pushes content pages builds it when it attaches,
 * before the workload starts, not at its first decision.
 */
export function contentPages(proc: ProcessImage): ReadonlyPageBitmap {
  let bits = contentOf.get(proc);
  if (!bits) {
    const flags = proc.pageFlags;
    bits = new PageBitmap(flags.length);
    for (let i = 0; i < flags.length; ) {
      if ((flags[i] & PageFlag.Content) === 0) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < flags.length && (flags[j] & PageFlag.Content) !== 0) j++;
      bits.setRange(i, j - i);
      i = j;
    }
    contentOf.set(proc, bits);
  }
  return bits;
}

/**
 * The first run of pages at or after `from` that a copy would queue now: lazy (registered, not
 * present, not in flight), with content when `contentOnly`, inside one lazy range (hence one VMA),
 * at most `max` pages. No wrap. A word of pages at a time: it runs on every answer of the copier.
 */
export function nextLazyRun(
  state: PageStateView,
  proc: ProcessImage,
  from: number,
  max: number,
  contentOnly: boolean,
): PageRange | undefined {
  if (!contentOnly) return state.lazyRunFrom(proc.pid, from, max);
  const content = contentPages(proc);
  for (let at = from; ; ) {
    const run = state.lazyRunFrom(proc.pid, at, max);
    if (!run) return undefined;
    const end = run.page + run.count;
    const i = content.next(run.page, end, true);
    if (i === end) {
      at = end;
      continue;
    }
    // the run from the first page with content, max pages long again
    const full = i === run.page ? run : state.lazyRunFrom(proc.pid, i, max)!;
    const j = content.next(i, full.page + full.count, false);
    return { pid: proc.pid, page: i, count: j - i };
  }
}
