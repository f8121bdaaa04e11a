/**
 * successor-prefetch — a Markov (successor-table) prefetcher learned from the source phase, applied
 * at fault time: the record-and-prefetch idea of REAP and FaaSnap, and of the Markov prefetchers
 * researchers write first, without waiting for JavaScript.
 *
 * From each process's source-phase accesses it counts, for every page P, the pages that came
 * right after an access to P (a page followed by itself is no transition). With a fault at P the
 * backend then copies P's likeliest successor, that page's likeliest successor, and so on, `depth`
 * pages along the chain, followed by P's other successors (up to `fanout` in all, likeliest first).
 * Ties go to the successor seen first. The table is installed at plan time as a fault-time rule
 * (model/plan.ts SuccessorTable), so sim and Linux take the same decisions.
 *
 * Params:
 *   depth   pages along the likeliest-successor chain copied with each fault (default 16, 1..64)
 *   fanout  successors of the faulting page itself kept, the likeliest first (default 1, 1..8)
 */
import { defineStrategy, MAX_RULE_PAGES, PlanContext, ProcessImage, Strategy, SuccessorTable } from '@restorelab/core';
import { BuiltInStrategy } from '../support/built-in-strategy';

/** For each page, its successors in the sequence, likeliest first (ties: seen first), at most `fanout`. */
export function likeliestSuccessors(pages: number, accesses: Uint32Array, fanout: number): number[][] {
  // (from, to) -> [count, first seen]
  const pairs = new Map<number, [number, number]>();
  for (let i = 1; i < accesses.length; i++) {
    const from = accesses[i - 1];
    const to = accesses[i];
    if (from === to || from >= pages || to >= pages) continue;
    const key = from * pages + to;
    const c = pairs.get(key);
    if (c) c[0]++;
    else pairs.set(key, [1, i]);
  }
  const byPage: [number, number, number][][] = Array.from({ length: pages }, () => []);
  for (const [key, [count, first]] of pairs) byPage[Math.floor(key / pages)].push([key % pages, count, first]);
  return byPage.map((l) =>
    l
      .sort((x, y) => y[1] - x[1] || x[2] - y[2])
      .slice(0, fanout)
      .map((x) => x[0]),
  );
}

/** The CSR table: per page, the chain of likeliest successors (depth pages), then its other successors. */
export function successorTable(pages: number, successors: readonly number[][], depth: number): SuccessorTable {
  const offsets = new Uint32Array(pages + 1);
  const out: number[] = [];
  const seen = new Set<number>();
  for (let p = 0; p < pages; p++) {
    offsets[p] = out.length;
    seen.clear();
    seen.add(p);
    const limit = Math.min(MAX_RULE_PAGES, depth + successors[p].length - 1);
    let n = 0;
    for (let q = successors[p][0], k = 0; q !== undefined && k < depth && n < limit && !seen.has(q); q = successors[q][0], k++) {
      seen.add(q);
      out.push(q);
      n++;
    }
    for (const q of successors[p].slice(1)) {
      if (n >= limit) break;
      if (seen.has(q)) continue;
      seen.add(q);
      out.push(q);
      n++;
    }
  }
  offsets[pages] = out.length;
  return { offsets, targets: Uint32Array.from(out) };
}

export class SuccessorPrefetch implements Strategy {
  constructor(
    readonly depth: number,
    readonly fanout: number,
  ) {}

  plan(ctx: PlanContext): void {
    for (const proc of ctx.image.processes) {
      const table = this.tableFor(proc, ctx.sourcePhase(proc.pid).page);
      if (table.targets.length > 0) ctx.faultRules(proc.pid, { successors: table });
    }
  }

  private tableFor(proc: ProcessImage, source: Uint32Array): SuccessorTable {
    return successorTable(proc.totalPages, likeliestSuccessors(proc.totalPages, source, this.fanout), this.depth);
  }
}

export const successorPrefetch: BuiltInStrategy = defineStrategy({
  name: 'successor-prefetch',
  description: 'Markov successor table learned from the source phase, copied at fault time (REAP, FaaSnap)',
  params: {
    depth: { type: 'integer', default: 16, minimum: 1, maximum: MAX_RULE_PAGES, description: 'pages along the likeliest-successor chain copied with each fault' },
    fanout: { type: 'integer', default: 1, minimum: 1, maximum: 8, description: 'successors of the faulting page itself kept, likeliest first' },
  },
  deterministic: true,
  create: ({ depth, fanout }) => new SuccessorPrefetch(depth, fanout),
});
