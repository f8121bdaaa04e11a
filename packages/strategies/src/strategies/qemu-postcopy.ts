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
import { copyPages, findProcess, ParamSchema, ProcessImage, Strategy, StrategyCommand, StrategyContext } from '@restorelab/core';
import { merge, mergeMap, Observable } from 'rxjs';
import { backgroundAnswers$, ChunkInFlight, nextLazyRun } from '../support/background-chunk';
import { BuiltInStrategy } from '../support/built-in-strategy';
import { numberParam, readParams } from '../support/params';

class Stream {
  readonly chunk = new ChunkInFlight();
  /** Where the next chunk starts looking. */
  cursor = 0;
  constructor(readonly proc: ProcessImage) {}
}

export class QemuPostcopy implements Strategy {
  constructor(readonly chunk: number) {}

  attach(ctx: StrategyContext): Observable<StrategyCommand> {
    const streams = new Map<number, Stream>();

    const nextChunk = (s: Stream): StrategyCommand[] => {
      if (s.chunk.busy) return [];
      const run =
        nextLazyRun(ctx.state, s.proc, s.cursor, this.chunk, false) ?? nextLazyRun(ctx.state, s.proc, 0, this.chunk, false);
      if (!run) return [];
      s.cursor = run.page + run.count;
      s.chunk.issue(run);
      return [copyPages(run.pid, run.page, run.count, 'background', 'background')];
    };

    const started = ctx.workloadStarted$.pipe(
      mergeMap((e) => {
        const s = new Stream(findProcess(ctx.image, e.pid));
        streams.set(e.pid, s);
        return nextChunk(s);
      }),
    );
    const faulted = ctx.faults$.pipe(
      mergeMap((e) => {
        const s = streams.get(e.pid);
        if (!s) return [];
        s.cursor = e.page + 1;
        return nextChunk(s);
      }),
    );
    const answered = backgroundAnswers$(ctx).pipe(
      mergeMap((a) => {
        const s = streams.get(a.pid);
        return s && s.chunk.settle(a) ? nextChunk(s) : [];
      }),
    );
    return merge(started, faulted, answered);
  }
}

const NAME = 'qemu-postcopy';
const PARAMS: ParamSchema = {
  chunk: { type: 'integer', default: 64, minimum: 1, maximum: 65536, description: 'pages per background copy' },
};

export const qemuPostcopy: BuiltInStrategy = {
  name: NAME,
  description: 'QEMU post-copy: background stream in address order, resumed after each faulting page',
  params: PARAMS,
  deterministic: false,
  create(params) {
    const p = readParams(NAME, PARAMS, params);
    return new QemuPostcopy(numberParam(p, 'chunk'));
  },
};
