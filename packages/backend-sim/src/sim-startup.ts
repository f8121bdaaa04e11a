import { CopyCause, MAX_COPY_PAGES, PageFlag, PAGES_PER_HUGE_PAGE, PAGE_SIZE, PrefillSource, ThpAdviceCode, vmaOfPage } from '@restorelab/core';
import { copyCostNs, hugetlbCopyCostNs } from './cost-model';
import { LinkChannel } from './sim-link';
import { isTaken, PageBit, SimProcess } from './sim-process';
import { SimWorld } from './sim-world';
import { precopyRounds } from './sim-precopy-rounds';

const HUGE_PAGE_BYTES = PAGES_PER_HUGE_PAGE * PAGE_SIZE;

/**
 * The restore's start-up before GO, as the runner and the monitor do it (native/runner/
 * runner-memory.c, the precopy of native/addon/monitor.cc): the runner's start, then per process, parents first, advice
 * before fill, prefill, pre-copy rounds (sim-precopy-rounds.ts), THP collapse, forks with inherited pages, registration, advice after
 * registration, precopy. Each step yields its cost; its events are emitted when it is done.
 */
export function* startupSteps(w: SimWorld): Generator<number, void, void> {
  const plan = w.session.plan;
  const m = w.cost;
  const facts = w.facts;
  yield m.runnerStartNs;
  for (const p of processOrder(w)) {
    const pid = p.pid;
    for (const a of plan.adviseBeforeFill) {
      if (a.pid !== pid) continue;
      yield m.madviseNs;
      w.applyAdvice(p, a.vma, a.advice);
    }
    for (const r of plan.prefill) {
      if (r.pid !== pid) continue;
      yield r.count * m.prefillPageNs;
      w.memory.prefill(p, r.page, r.count);
      facts.pagesPrefilled(w.clock.now, pid, r.page, r.count, r.source === 'image' ? PrefillSource.Image : PrefillSource.Strategy);
    }
    yield* precopyRounds(w, p);
    collapse(w, p);
    for (const c of w.procs) {
      if (c.image.parent !== pid) continue;
      yield m.forkNs;
      facts.processForked(w.clock.now, pid, c.pid);
      inherit(w, p, c);
    }
    for (const v of p.image.vmas) {
      yield m.registerVmaNs;
      facts.vmaRegistered(w.clock.now, pid, v.index, v.firstPage, v.pages, 1);
    }
    for (const a of plan.adviseAfterRegister) {
      if (a.pid !== pid) continue;
      yield m.madviseNs;
      w.applyAdvice(p, a.vma, a.advice);
    }
    for (const r of plan.precopy) {
      if (r.pid !== pid) continue;
      const end = r.page + r.count;
      let i = r.page;
      while (i < end) {
        const f = p.flags;
        if (isTaken(p, i)) {
          i++;
          continue;
        }
        const vma = vmaOfPage(p.image, i)!;
        const limit = Math.min(end, vma.firstPage + vma.pages);
        let j = i;
        while (j < limit && !isTaken(p, j)) f[j++] |= PageBit.Claimed;
        const n = j - i;
        const calls = Math.ceil(n / MAX_COPY_PAGES);
        yield w.link.fetch(w.clock.now, n, LinkChannel.Background) + (vma.hugetlb ? hugetlbCopyCostNs(m, n) : copyCostNs(m, n, calls));
        w.memory.fill(p, i, n);
        facts.pagesCopied(w.clock.now, pid, i, n, CopyCause.Precopy, calls);
        i = j;
      }
    }
  }
}

/** Roots first, then the image order, each process after its parent (whose turn forks it). */
function processOrder(w: SimWorld): SimProcess[] {
  const out: SimProcess[] = [];
  const placed = new Set<number>();
  const place = (p: SimProcess) => {
    if (placed.has(p.pid)) return;
    placed.add(p.pid);
    out.push(p);
  };
  for (const p of w.procs) if (p.image.parent === null || !w.byPid.has(p.image.parent)) place(p);
  let progress = true;
  while (out.length < w.procs.length && progress) {
    progress = false;
    for (const p of w.procs) {
      if (!placed.has(p.pid) && placed.has(p.image.parent!)) {
        place(p);
        progress = true;
      }
    }
  }
  if (out.length < w.procs.length) throw new Error('the image has a cycle in its process tree');
  return out;
}

/** Seed 001: khugepaged collapses each 2 MiB range with a present page while the advice is hugepage. */
function collapse(w: SimWorld, p: SimProcess): void {
  // the continue engine's VMAs map a memfd: khugepaged does not collapse them (runner_collapse)
  if (w.engine === 'continue') return;
  for (const v of p.image.vmas) {
    if (!v.collapseBeforeRegister || p.advice[v.index] !== ThpAdviceCode.hugepage) continue;
    const endAddress = v.start + v.pages * PAGE_SIZE;
    for (let a = Math.ceil(v.start / HUGE_PAGE_BYTES) * HUGE_PAGE_BYTES; a + HUGE_PAGE_BYTES <= endAddress; a += HUGE_PAGE_BYTES) {
      const first = v.firstPage + (a - v.start) / PAGE_SIZE;
      let any = false;
      for (let i = first; i < first + PAGES_PER_HUGE_PAGE && !any; i++) any = p.pages.present.get(i);
      if (!any) continue;
      w.memory.collapse(p, first, PAGES_PER_HUGE_PAGE);
      w.facts.hugePageCollapsed(w.clock.now, p.pid, v.index, first, PAGES_PER_HUGE_PAGE);
    }
  }
}

/** After fork: the child keeps the pages it shares with its parent that the parent has. */
function inherit(w: SimWorld, parent: SimProcess, child: SimProcess): void {
  const flags = child.image.pageFlags;
  const n = Math.min(flags.length, parent.flags.length);
  const pf = parent.pages.present;
  let i = 0;
  while (i < n) {
    if (!(flags[i] & PageFlag.SharedWithParent && pf.get(i))) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && flags[j] & PageFlag.SharedWithParent && pf.get(j)) w.memory.inherit(parent, child, j++);
    w.facts.pagesPrefilled(w.clock.now, child.pid, i, j - i, PrefillSource.Inherited);
    i = j;
  }
}
