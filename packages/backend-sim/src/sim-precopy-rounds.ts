import { PAGE_SIZE, PageFlag, PrecopyRoundStat, PRECOPY_BATCH_PAGES, PrefillSource, vmaOfPage } from '@restorelab/core';
import { SimProcess } from './sim-process';
import { SimSource } from './sim-source';
import { SimWorld } from './sim-world';

/**
 * Pre-copy rounds (model/precopy.ts) as native/precopy does them, before the destination registers
 * its uffd: the source runs its source phase from the first round on; round 1 sends every content
 * page, each later round the pages the source wrote during the one before (collected at its end);
 * after each round the session decides whether to switch over (its answer takes precopyDecisionNs,
 * the source running on). The switch waits for the source to finish its source phase once, stops
 * it, and drops from the destination the last round's dirty set and what was written after it.
 * Over a link a send takes at least its bytes at the link's bandwidth (the source paces itself), and
 * the destination has the rounds a latency after the source stopped.
 */
export function* precopyRounds(w: SimWorld, p: SimProcess): Generator<number, void, void> {
  if (!w.session.plan.precopyRounds) return;
  const m = w.cost;
  const source = new SimSource(p, m);
  const t0 = w.clock.now;
  const sourceNow = () => w.clock.now - t0;
  const scanNs = m.dirtyScanNs + p.image.totalPages * m.dirtyScanPageNs;
  const rounds: PrecopyRoundStat[] = [];
  let send = contentPages(p);
  let scanned = 0;
  for (;;) {
    const start = w.clock.now;
    const first = rounds.length === 0;
    yield* sendPages(w, p, send, source, sourceNow, first);
    yield scanNs;
    const dirty = source.dirtyBetween(scanned, sourceNow());
    scanned = sourceNow();
    rounds.push({ round: rounds.length + 1, sentPages: send.length, dirtyPages: dirty.length, roundNs: w.clock.now - start });
    w.facts.precopyRound(w.clock.now, p.pid, rounds.length, send.length, dirty.length, w.clock.now - start);
    const reason = w.session.switchOverReason(rounds);
    yield m.precopyDecisionNs;
    if (reason !== null) {
      if (sourceNow() < source.passNs) yield source.passNs - sourceNow();
      const stoppedAt = sourceNow();
      // the last round's dirty set is never sent again: it is dropped with what was written since
      const last = union(dirty, source.dirtyBetween(scanned, stoppedAt));
      w.facts.switchOver(w.clock.now, p.pid, rounds.length, last.length, reason, source.passNs > 0 ? stoppedAt / source.passNs : 0);
      if (w.link.link) yield w.link.link.latencyUs * 1000;
      yield scanNs;
      for (const [page, count] of runsOf(p, last)) {
        yield m.discardRunNs;
        w.memory.discard(p, page, count);
        w.facts.pagesDiscarded(w.clock.now, p.pid, page, count);
      }
      return;
    }
    send = dirty;
  }
}

/** Sends `pages` (ascending) in batches of consecutive pages of one VMA, as the native sender does. */
function* sendPages(
  w: SimWorld,
  p: SimProcess,
  pages: Uint32Array,
  source: SimSource,
  sourceNow: () => number,
  announce: boolean,
): Generator<number, void, void> {
  const m = w.cost;
  const bandwidth = w.link.link?.bandwidth ?? 0;
  // a page the source phase writes holds stale content until its last write of the first pass (never written: the image's)
  const stale = (i: number) => source.lastWrite[i] !== Infinity && source.lastWrite[i] > sourceNow();
  for (const [page, count] of runsOf(p, pages)) {
    for (let i = page, end = page + count; i < end; ) {
      const stop = Math.min(end, i + PRECOPY_BATCH_PAGES);
      const cpu = m.precopyCallNs + (stop - i) * m.precopyPageNs;
      yield bandwidth > 0 ? Math.max(cpu, ((stop - i) * PAGE_SIZE * 1e9) / bandwidth) : cpu;
      w.memory.sendFromSource(p, i, stop - i, stale);
      if (announce) w.facts.pagesPrefilled(w.clock.now, p.pid, i, stop - i, PrefillSource.PrecopyRound);
      i = stop;
    }
  }
}

/** The union of two ascending page lists, ascending. */
function union(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length || j < b.length) {
    if (j === b.length || (i < a.length && a[i] < b[j])) out[n++] = a[i++];
    else if (i === a.length || b[j] < a[i]) out[n++] = b[j++];
    else {
      out[n++] = a[i++];
      j++;
    }
  }
  return out.subarray(0, n);
}

function contentPages(p: SimProcess): Uint32Array {
  const flags = p.image.pageFlags;
  let n = 0;
  for (let i = 0; i < flags.length; i++) if (flags[i] & PageFlag.Content) n++;
  const out = new Uint32Array(n);
  for (let i = 0, j = 0; i < flags.length; i++) if (flags[i] & PageFlag.Content) out[j++] = i;
  return out;
}

/** Runs of consecutive pages of an ascending list inside one VMA, as [page, count]. */
function* runsOf(p: SimProcess, pages: Uint32Array): Generator<[number, number]> {
  let i = 0;
  while (i < pages.length) {
    const vma = vmaOfPage(p.image, pages[i])!;
    const vmaEnd = vma.firstPage + vma.pages;
    let j = i + 1;
    while (j < pages.length && pages[j] === pages[j - 1] + 1 && pages[j] < vmaEnd) j++;
    yield [pages[i], j - i];
    i = j;
  }
}
