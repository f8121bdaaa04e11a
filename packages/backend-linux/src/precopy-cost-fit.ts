import { EventKind, EventStore, linearFit, median, PageFlag, PRECOPY_BATCH_PAGES, ProcessImage } from '@restorelab/core';

/** What one logged restore with pre-copy rounds shows of the simulator's pre-copy keys. */
export interface PrecopyCosts {
  readonly precopyCallNs: number;
  readonly precopyPageNs: number;
  /** One scan of the whole image (fixed part and walk together: one image size cannot tell them apart). */
  readonly scanNs: number;
  readonly sourceAccessNs: number;
  readonly precopyDecisionNs: number;
  readonly discardRunNs: number;
}

/** Sends of round 1: every content page, in runs of a VMA, PRECOPY_BATCH_PAGES at a time. */
export function firstRoundCalls(p: ProcessImage): number {
  let calls = 0;
  for (const v of p.vmas) {
    let run = 0;
    for (let i = v.firstPage; i <= v.firstPage + v.pages; i++) {
      if (i < v.firstPage + v.pages && p.pageFlags[i] & PageFlag.Content) run++;
      else if (run > 0) {
        calls += Math.ceil(run / PRECOPY_BATCH_PAGES);
        run = 0;
      }
    }
  }
  return calls;
}

/**
 * Fits the keys to the rounds of one restore (a source phase of `accesses` accesses, `gapNs` apart
 * on average):
 * - a later round sends its dirty set mostly a page a call, so the line through those rounds'
 *   times against their pages gives a scattered page (a call and its page) and the scan (its
 *   intercept); round 1's full batches then split the call from the page;
 * - the decision: from a round's end to the next one's start;
 * - the source's access: its passes by the switch-over over the time since round 1 began, less the gap;
 * - a dropped run: the span of the PagesDiscarded events over their number.
 * Null when the restore had fewer than three rounds (no line to fit).
 */
export function fitPrecopyCosts(store: EventStore, proc: ProcessImage, accesses: number, gapNs: number): PrecopyCosts | null {
  const rounds: { t: number; sent: number; ns: number }[] = [];
  let switchT = NaN;
  let passes = NaN;
  const dropped: number[] = [];
  for (let i = 0; i < store.length; i++) {
    const k = store.kind[i];
    if (k === EventKind.PrecopyRound) rounds.push({ t: store.t[i], sent: store.b[i], ns: store.d[i] });
    else if (k === EventKind.SwitchOver) {
      switchT = store.t[i];
      passes = store.d[i];
    } else if (k === EventKind.PagesDiscarded) dropped.push(store.t[i]);
  }
  const later = rounds.slice(1);
  if (later.length < 2 || Number.isNaN(switchT)) return null;
  const { slope, intercept } = linearFit(later.map((r) => r.sent), later.map((r) => r.ns));
  if (Number.isNaN(slope)) return null;
  const scanNs = Math.max(0, intercept);
  const calls = firstRoundCalls(proc);
  const first = rounds[0];
  const pageNs = first.sent > calls ? (first.ns - scanNs - calls * slope) / (first.sent - calls) : slope;
  const callNs = slope - pageNs;
  const decisions = later.map((r, i) => r.t - r.ns - rounds[i].t);
  const sourceNs = passes > 0 && accesses > 0 ? (switchT - (first.t - first.ns)) / (passes * accesses) - gapNs : NaN;
  const out = {
    precopyCallNs: Math.max(0, callNs),
    precopyPageNs: Math.max(0, pageNs),
    scanNs,
    sourceAccessNs: Math.max(0, sourceNs),
    precopyDecisionNs: Math.max(0, median(decisions)),
    discardRunNs: dropped.length > 1 ? Math.max(0, (dropped[dropped.length - 1] - dropped[0]) / (dropped.length - 1)) : NaN,
  };
  return Object.values(out).every(Number.isFinite) ? out : null;
}
