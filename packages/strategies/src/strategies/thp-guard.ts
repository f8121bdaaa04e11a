/**
 * thp-guard — the fix for seed 001 (pre-copy + post-copy under THP).
 *
 * Pre-dumped pages are filled before uffd registration; in a MADV_HUGEPAGE VMA khugepaged may then
 * collapse the 2 MiB range, the never-filled holes become present zero pages, their faults never
 * arrive and the process silently reads zeros. The guard applies MADV_NOHUGEPAGE to every VMA
 * whose image advice is hugepage before anything is filled, and gives the VMA its original advice
 * back once it is registered with uffd (the kernel does not collapse over uffd holes then).
 *
 * Params: none. Applies only to workloads with huge-page VMAs.
 */
import { defineStrategy, PlanContext, Strategy, Workload } from '@restorelab/core';
import { BuiltInStrategy } from '../support/built-in-strategy';

export class ThpGuard implements Strategy {
  plan(ctx: PlanContext): void {
    for (const proc of ctx.image.processes) {
      for (const vma of proc.vmas) {
        if (vma.thp !== 'hugepage') continue;
        ctx.adviseBeforeFill(proc.pid, vma.index, 'nohugepage');
        ctx.adviseAfterRegister(proc.pid, vma.index, vma.thp);
      }
    }
  }
}

export const thpGuard: BuiltInStrategy = {
  ...defineStrategy({
    name: 'thp-guard',
    description: 'MADV_NOHUGEPAGE before prefill, original advice after uffd registration (seed 001)',
    params: {},
    deterministic: true,
    create: () => new ThpGuard(),
  }),
  applies(workload: Workload): boolean {
    return workload.image.processes.some((p) => p.vmas.some((v) => v.thp === 'hugepage'));
  },
};
