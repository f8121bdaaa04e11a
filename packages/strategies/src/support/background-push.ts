import { copyPages, findProcess, PageRange, PageStateView, ProcessImage, StrategyCommand, StrategyContext } from '@restorelab/core';
import { Observable, Subscription } from 'rxjs';
import { backgroundAnswers$, ChunkInFlight } from './background-chunk';

/** Where a process's background push goes next, and how a fault of the process moves it. */
export interface PushCursor {
  /** The next chunk to push (lazy pages), or undefined when nothing is left. */
  next(state: PageStateView): PageRange | undefined;
  faulted(page: number): void;
}

/**
 * A background push per process, one chunk in flight at a time (CRIU's lazy-pages daemon, QEMU's
 * post-copy stream): the first chunk when the process's workload starts, the next when the copier
 * has answered for the previous one or when the process faults. The cursor says what goes next.
 * Written as three subscriptions feeding one stream, not mergeMap: every fault passes through it,
 * and an inner subscription per fault is the most expensive part of the strategy.
 */
export function backgroundPush$(ctx: StrategyContext, open: (proc: ProcessImage) => PushCursor): Observable<StrategyCommand> {
  return new Observable<StrategyCommand>((out) => {
    const pushes = new Map<number, { readonly cursor: PushCursor; readonly chunk: ChunkInFlight }>();
    const push = (pid: number): void => {
      const p = pushes.get(pid);
      if (!p || p.chunk.busy) return;
      const run = p.cursor.next(ctx.state);
      if (!run) return;
      p.chunk.issue(run);
      out.next(copyPages(run.pid, run.page, run.count, 'background', 'background'));
    };
    const fail = (e: unknown) => out.error(e);
    const subscriptions = new Subscription();
    subscriptions.add(
      ctx.workloadStarted$.subscribe({
        next: (e) => {
          pushes.set(e.pid, { cursor: open(findProcess(ctx.image, e.pid)), chunk: new ChunkInFlight() });
          push(e.pid);
        },
        error: fail,
      }),
    );
    subscriptions.add(
      ctx.faults$.subscribe({
        next: (e) => {
          const p = pushes.get(e.pid);
          if (!p) return;
          p.cursor.faulted(e.page);
          push(e.pid);
        },
        error: fail,
      }),
    );
    subscriptions.add(
      backgroundAnswers$(ctx).subscribe({
        next: (a) => {
          const p = pushes.get(a.pid);
          if (p && p.chunk.settle(a)) push(a.pid);
        },
        error: fail,
      }),
    );
    return subscriptions;
  });
}
