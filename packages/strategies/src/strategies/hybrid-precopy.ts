/**
 * hybrid-precopy — pre-copy rounds from the live source, then post-copy (QEMU's precopy followed by
 * postcopy; seeds 000 and 001). The source runs its source phase while round 1 sends every content
 * page and each later round re-sends what the source wrote meanwhile (write-protect in async mode,
 * collected with PAGEMAP_SCAN on Linux). After `maxRounds` rounds, once the dirty set stops
 * shrinking, or once it is down to `switchBelow` pages, the source stops; its last dirty pages are
 * dropped from the destination and fetched after the switch-over, with `postcopy`'s prefetch:
 * neighbor (a fault-time window of `window` pages), hot-first (a background push of the pages the
 * source phase touched, most touched first, that are lazy when the workload starts) or none.
 *
 * Single-process images only. The pages dropped at the switch-over are holes in memory the rounds
 * filled before registration: a THP collapse there maps zeros over them (seed 001), so on huge-page
 * VMAs the strategy turns huge pages off until registration, as thp-guard does (guardThp).
 *
 * Params:
 *   maxRounds     at most this many rounds (default 5, 1..30)
 *   notShrinking  switch over when a round's dirty set is no smaller than the one before (default true)
 *   switchBelow   switch over when a round's dirty set has at most this many pages (default 64; 0: off)
 *   postcopy      neighbor | hot-first | none (default neighbor)
 *   window        neighbor's fault-time window (default 8, 1..4096)
 *   guardThp      MADV_NOHUGEPAGE on huge-page VMAs until registration (default true; false shows seed 001)
 */
import { defineStrategy, MAX_PRECOPY_ROUNDS, PlanContext, PrecopyRoundStat, Strategy, StrategyContext, StrategyCommand, copyPages, Workload } from '@restorelab/core';
import { EMPTY, Observable, from, mergeMap, take } from 'rxjs';
import { BuiltInStrategy } from '../support/built-in-strategy';

export type HybridPostcopy = 'neighbor' | 'hot-first' | 'none';

/** Rounds and the fault-time rules: decided at plan time, no reactive pipeline. */
export class HybridPrecopy implements Strategy {
  constructor(
    readonly maxRounds: number,
    readonly notShrinking: boolean,
    readonly switchBelow: number,
    readonly postcopy: HybridPostcopy,
    readonly window: number,
    readonly guardThp: boolean,
  ) {}

  plan(ctx: PlanContext): void {
    const below = this.switchBelow;
    ctx.precopyRounds({
      maxRounds: this.maxRounds,
      stopWhenNotShrinking: this.notShrinking,
      ...(below > 0 ? { switchWhen: (rounds: readonly PrecopyRoundStat[]) => rounds[rounds.length - 1].dirtyPages <= below } : {}),
    });
    if (this.guardThp) guardHugePages(ctx);
    if (this.postcopy === 'neighbor') ctx.faultWindow({ forward: this.window, backward: 0 });
  }
}

/** postcopy=hot-first: the background push after the switch-over is a reactive pipeline. */
export class HybridPrecopyHotFirst extends HybridPrecopy {
  /** pid -> the source phase's pages, most touched first. */
  private readonly hot = new Map<number, Uint32Array>();

  override plan(ctx: PlanContext): void {
    super.plan(ctx);
    for (const p of ctx.image.processes) this.hot.set(p.pid, byHotness(ctx.sourcePhase(p.pid).page, p.totalPages));
  }

  attach(ctx: StrategyContext): Observable<StrategyCommand> {
    return ctx.workloadStarted$.pipe(
      take(1),
      mergeMap((started) => {
        const pages = this.hot.get(started.pid);
        if (!pages) return EMPTY;
        const out: StrategyCommand[] = [];
        for (const page of pages) if (ctx.state.isLazy(started.pid, page)) out.push(copyPages(started.pid, page, 1, 'background'));
        return from(out);
      }),
    );
  }
}

function guardHugePages(ctx: PlanContext): void {
  for (const p of ctx.image.processes)
    for (const v of p.vmas) {
      if (v.thp !== 'hugepage') continue;
      ctx.adviseBeforeFill(p.pid, v.index, 'nohugepage');
      ctx.adviseAfterRegister(p.pid, v.index, v.thp);
    }
}

/** Pages touched by `accesses`, most touched first (ties: the first touched first). */
function byHotness(accesses: Uint32Array, pages: number): Uint32Array {
  const count = new Uint32Array(pages);
  const order: number[] = [];
  for (const page of accesses) if (page < pages && count[page]++ === 0) order.push(page);
  const rank = new Map(order.map((p, i) => [p, i]));
  order.sort((x, y) => count[y] - count[x] || rank.get(x)! - rank.get(y)!);
  return Uint32Array.from(order);
}

export const hybridPrecopy: BuiltInStrategy = {
  ...defineStrategy({
    name: 'hybrid-precopy',
    description: 'pre-copy rounds from the live source with dirty tracking, then post-copy with a prefetch (QEMU precopy+postcopy)',
    params: {
      maxRounds: { type: 'integer', default: 5, minimum: 1, maximum: MAX_PRECOPY_ROUNDS, description: 'at most this many pre-copy rounds' },
      notShrinking: { type: 'boolean', default: true, description: 'switch over when the dirty set stops shrinking' },
      switchBelow: { type: 'integer', default: 64, minimum: 0, maximum: 1 << 30, description: 'switch over when the dirty set is at most this many pages (0: off)' },
      postcopy: { type: 'string', default: 'neighbor', enum: ['neighbor', 'hot-first', 'none'], description: 'prefetch after the switch-over' },
      window: { type: 'integer', default: 8, minimum: 1, maximum: 4096, description: "neighbor's fault-time window, pages" },
      guardThp: { type: 'boolean', default: true, description: 'MADV_NOHUGEPAGE on huge-page VMAs until registration (false: seed 001)' },
    },
    deterministic: false,
    create: ({ maxRounds, notShrinking, switchBelow, postcopy, window, guardThp }) =>
      new (postcopy === 'hot-first' ? HybridPrecopyHotFirst : HybridPrecopy)(maxRounds, notShrinking, switchBelow, postcopy, window, guardThp),
  }),
  applies(workload: Workload): boolean {
    return workload.image.processes.length === 1 && !workload.image.processes[0].vmas.some((v) => v.hugetlb);
  },
};
