/**
 * qemu-postcopy — QEMU post-copy migration as David Gilbert describes it in seed 000: "we keep
 * sending unrequested pages all the time, but when we get a request for a page from UFF then we
 * send that page immediately", and then "we start sending the pages directly after the requested
 * page".
 *
 * Once a process's workload starts, a background stream sends its lazy pages in address order,
 * `chunk` pages per copy, the next chunk when the copier has answered for the previous one. A
 * demand fault is served at once by the backend; the stream then continues from the page after
 * the faulting one (wrapping to the lowest lazy page at the end), which is where the running code
 * is likely to go next. Zero pages are streamed too (QEMU sends them as zero-page records).
 * Not deterministic: where the stream is when a fault arrives depends on timing.
 *
 * Params:
 *   chunk  pages per background copy (default 64, 1..65536)
 */
import { defineStrategy, PageRange, PageStateView, ProcessImage, Strategy, StrategyCommand, StrategyContext } from '@restorelab/core';
import { Observable } from 'rxjs';
import { nextLazyRun } from '../support/background-chunk';
import { backgroundPush$, PushCursor } from '../support/background-push';
import { BuiltInStrategy } from '../support/built-in-strategy';

/** One process's stream: lazy pages in address order from the cursor, wrapping to the lowest. */
class Stream implements PushCursor {
  /** Where the next chunk starts looking. */
  private cursor = 0;
  constructor(
    private readonly proc: ProcessImage,
    private readonly chunk: number,
  ) {}

  next(state: PageStateView): PageRange | undefined {
    const run = nextLazyRun(state, this.proc, this.cursor, this.chunk, false) ?? nextLazyRun(state, this.proc, 0, this.chunk, false);
    if (run) this.cursor = run.page + run.count;
    return run;
  }

  faulted(page: number): void {
    this.cursor = page + 1;
  }
}

export class QemuPostcopy implements Strategy {
  constructor(readonly chunk: number) {}

  attach(ctx: StrategyContext): Observable<StrategyCommand> {
    return backgroundPush$(ctx, (proc) => new Stream(proc, this.chunk));
  }
}

export const qemuPostcopy: BuiltInStrategy = defineStrategy({
  name: 'qemu-postcopy',
  description: 'QEMU post-copy: background stream in address order, resumed after each faulting page',
  params: {
    chunk: { type: 'integer', default: 64, minimum: 1, maximum: 65536, description: 'pages per background copy' },
  },
  deterministic: false,
  create: ({ chunk }) => new QemuPostcopy(chunk),
});
