/**
 * eager — copy everything before the workload starts.
 *
 * The plan asks for a precopy of every page of every VMA of every process; the backend copies
 * them after uffd registration in batches of up to 512 pages per UFFDIO_COPY, skipping pages
 * already present (pre-dumped, inherited at fork). No demand fault can happen afterwards: this is
 * the lower bound on stalls and the upper bound on up-front cost and copied bytes.
 *
 * Params: none.
 */
import { defineStrategy, PlanContext, Strategy } from '@restorelab/core';
import { BuiltInStrategy } from '../support/built-in-strategy';

export class Eager implements Strategy {
  plan(ctx: PlanContext): void {
    for (const proc of ctx.image.processes) {
      for (const vma of proc.vmas) {
        if (vma.pages > 0) ctx.precopy({ pid: proc.pid, page: vma.firstPage, count: vma.pages });
      }
    }
  }
}

export const eager: BuiltInStrategy = {
  ...defineStrategy({
    name: 'eager',
    description: 'precopy every page of every process before the workload starts',
    params: {},
    deterministic: true,
    create: () => new Eager(),
  }),
};
