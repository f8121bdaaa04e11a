/**
 * criu-lazy — what `criu lazy-pages` does today (criu/uffd.c).
 *
 * Demand faults copy one page each (no window); pages without content are not in CRIU's lazy IOVs
 * (the pagemap has no data for them): the backend maps them with UFFDIO_ZEROPAGE when they fault
 * and the background transfer skips them. Once a process's workload starts, the daemon pushes
 * the rest in the background: always the lowest remaining lazy range (seed 003's IOV list), one
 * chunk at a time, the next one when the copier has answered for the previous one. The chunk
 * starts at 64 KiB and grows by 64 KiB per chunk up to 4 MiB; every fault of the process resets it
 * to 64 KiB, so the background push yields to demand paging while the process faults.
 * Not deterministic: how far the push gets between two faults depends on timing.
 *
 * Params: none.
 */
import { copyPages, findProcess, ProcessImage, Strategy, StrategyCommand, StrategyContext } from '@restorelab/core';
import { merge, mergeMap, Observable } from 'rxjs';
import { backgroundAnswers$, ChunkInFlight, nextLazyRun } from '../support/background-chunk';
import { BuiltInStrategy } from '../support/built-in-strategy';
import { readParams } from '../support/params';

/** 64 KiB in 4 KiB pages: CRIU's DEFAULT_XFER_LEN, also the growth step. */
export const CRIU_XFER_STEP = 16;
/** 4 MiB: CRIU's MAX_XFER_LEN. */
export const CRIU_XFER_MAX = 1024;

class Transfer {
  readonly chunk = new ChunkInFlight();
  /** Pages in the next chunk. */
  len = CRIU_XFER_STEP;
  /** Below this page nothing is left to push: present, in flight, or a zero page. */
  lowest = 0;
  constructor(readonly proc: ProcessImage) {}
}

export class CriuLazy implements Strategy {
  attach(ctx: StrategyContext): Observable<StrategyCommand> {
    const transfers = new Map<number, Transfer>();

    const nextChunk = (t: Transfer): StrategyCommand[] => {
      if (t.chunk.busy) return [];
      const run = nextLazyRun(ctx.state, t.proc, t.lowest, t.len, true);
      if (!run) return [];
      t.lowest = run.page;
      t.chunk.issue(run);
      t.len = Math.min(CRIU_XFER_MAX, t.len + CRIU_XFER_STEP);
      return [copyPages(run.pid, run.page, run.count, 'background', 'background')];
    };

    const started = ctx.workloadStarted$.pipe(
      mergeMap((e) => {
        const t = new Transfer(findProcess(ctx.image, e.pid));
        transfers.set(e.pid, t);
        return nextChunk(t);
      }),
    );
    const faulted = ctx.faults$.pipe(
      mergeMap((e) => {
        const t = transfers.get(e.pid);
        if (!t) return [];
        t.len = CRIU_XFER_STEP;
        return nextChunk(t);
      }),
    );
    const answered = backgroundAnswers$(ctx).pipe(
      mergeMap((a) => {
        const t = transfers.get(a.pid);
        return t && t.chunk.settle(a) ? nextChunk(t) : [];
      }),
    );
    return merge(started, faulted, answered);
  }
}

const NAME = 'criu-lazy';

export const criuLazy: BuiltInStrategy = {
  name: NAME,
  description: 'CRIU lazy-pages: one page per fault, background push of the lowest lazy IOV in growing chunks',
  params: {},
  deterministic: false,
  create(params) {
    readParams(NAME, {}, params);
    return new CriuLazy();
  },
};
