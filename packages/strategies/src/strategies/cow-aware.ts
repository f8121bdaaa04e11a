/**
 * cow-aware — keep fork-shared pages shared (seed 002: "lazily restoring a page that was COW-ed
 * between tasks breaks the sharing").
 *
 * uffd can only fill a page into one address space, so a child that faults on a page it shared
 * with its parent gets a private copy. Instead, the plan prefills every content page a child
 * flags SharedWithParent in the ancestor the content comes from (climbing while the parent shares
 * it too), before that ancestor forks: the children inherit it copy-on-write, as they did before
 * the checkpoint, and never fault on it. Shared zero pages are left to UFFDIO_ZEROPAGE (the zero
 * page is shared anyway). Prefills are coalesced into ranges.
 *
 * Params: none. Applies only to images with a fork tree that shares pages.
 */
import { defineStrategy, PageFlag, PlanContext, ProcessImage, Strategy, Workload } from '@restorelab/core';
import { BuiltInStrategy } from '../support/built-in-strategy';
import { PageMask } from '../support/page-mask';

const SHARED_CONTENT = PageFlag.SharedWithParent | PageFlag.Content;

export class CowAware implements Strategy {
  plan(ctx: PlanContext): void {
    const byPid = new Map(ctx.image.processes.map((p) => [p.pid, p]));
    const fill = new PageMask(ctx.image);
    for (const child of ctx.image.processes) {
      if (child.parent === null) continue;
      for (let page = 0; page < child.totalPages; page++) {
        if ((child.pageFlags[page] & SHARED_CONTENT) !== SHARED_CONTENT) continue;
        const origin = contentOrigin(byPid, child, page);
        if (origin !== child && !(origin.pageFlags[page] & PageFlag.Precopied)) fill.add(origin.pid, page);
      }
    }
    for (const range of fill.ranges()) ctx.prefill(range);
  }
}

/** The ancestor whose own page `page` the child's shared page is: climb while the page is shared. */
function contentOrigin(byPid: ReadonlyMap<number, ProcessImage>, proc: ProcessImage, page: number): ProcessImage {
  let p = proc;
  while (p.parent !== null && p.pageFlags[page] & PageFlag.SharedWithParent) {
    const parent = byPid.get(p.parent);
    if (!parent || page >= parent.totalPages) break;
    p = parent;
  }
  return p;
}

function sharesPages(proc: ProcessImage): boolean {
  return proc.parent !== null && proc.pageFlags.some((f) => (f & SHARED_CONTENT) === SHARED_CONTENT);
}

export const cowAware: BuiltInStrategy = {
  ...defineStrategy({
    name: 'cow-aware',
    description: 'prefill fork-shared pages in the ancestor so children inherit them COW (seed 002)',
    params: {},
    deterministic: true,
    create: () => new CowAware(),
  }),
  applies(workload: Workload): boolean {
    return workload.image.processes.some(sharesPages);
  },
};
