import { copyPages, findProcess, PageRange, PageStateView, ProcessImage, StrategyCommand, StrategyContext } from '@restorelab/core';
import { merge, mergeMap, Observable } from 'rxjs';
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
 */
export function backgroundPush$(ctx: StrategyContext, open: (proc: ProcessImage) => PushCursor): Observable<StrategyCommand> {
  const pushes = new Map<number, { readonly cursor: PushCursor; readonly chunk: ChunkInFlight }>();
  const nextChunk = (pid: number): StrategyCommand[] => {
    const p = pushes.get(pid);
    if (!p || p.chunk.busy) return [];
    const run = p.cursor.next(ctx.state);
    if (!run) return [];
    p.chunk.issue(run);
    return [copyPages(run.pid, run.page, run.count, 'background', 'background')];
  };
  const started = ctx.workloadStarted$.pipe(
    mergeMap((e) => {
      pushes.set(e.pid, { cursor: open(findProcess(ctx.image, e.pid)), chunk: new ChunkInFlight() });
      return nextChunk(e.pid);
    }),
  );
  const faulted = ctx.faults$.pipe(
    mergeMap((e) => {
      const p = pushes.get(e.pid);
      if (!p) return [];
      p.cursor.faulted(e.page);
      return nextChunk(e.pid);
    }),
  );
  const answered = backgroundAnswers$(ctx).pipe(
    mergeMap((a) => {
      const p = pushes.get(a.pid);
      return p && p.chunk.settle(a) ? nextChunk(a.pid) : [];
    }),
  );
  return merge(started, faulted, answered);
}
