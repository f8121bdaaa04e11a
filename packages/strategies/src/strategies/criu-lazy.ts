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
import { defineStrategy, PageRange, PageStateView, ProcessImage, Strategy, StrategyCommand, StrategyContext } from '@restorelab/core';
import { Observable } from 'rxjs';
import { contentPages, nextLazyRun } from '../support/background-chunk';
import { backgroundPush$, PushCursor } from '../support/background-push';
import { BuiltInStrategy } from '../support/built-in-strategy';

/** 64 KiB in 4 KiB pages: CRIU's DEFAULT_XFER_LEN, also the growth step. */
export const CRIU_XFER_STEP = 16;
/** 4 MiB: CRIU's MAX_XFER_LEN. */
export const CRIU_XFER_MAX = 1024;

/** One process's push: the lowest lazy range, in chunks that grow until the process faults. */
class Transfer implements PushCursor {
  /** Pages in the next chunk. */
  private len = CRIU_XFER_STEP;
  /** Below this page nothing is left to push: present, in flight, or a zero page. */
  private lowest = 0;
  constructor(private readonly proc: ProcessImage) {}

  next(state: PageStateView): PageRange | undefined {
    const run = nextLazyRun(state, this.proc, this.lowest, this.len, true);
    if (!run) return undefined;
    this.lowest = run.page;
    this.len = Math.min(CRIU_XFER_MAX, this.len + CRIU_XFER_STEP);
    return run;
  }

  faulted(): void {
    this.len = CRIU_XFER_STEP;
  }
}

export class CriuLazy implements Strategy {
  attach(ctx: StrategyContext): Observable<StrategyCommand> {
    for (const p of ctx.image.processes) contentPages(p);
    return backgroundPush$(ctx, (proc) => new Transfer(proc));
  }
}

export const criuLazy: BuiltInStrategy = {
  ...defineStrategy({
    name: 'criu-lazy',
    description: 'CRIU lazy-pages: one page per fault, background push of the lowest lazy IOV in growing chunks',
    params: {},
    deterministic: false,
    create: () => new CriuLazy(),
  }),
};
