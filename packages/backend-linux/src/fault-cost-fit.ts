import { CopyCause, EventKind, EventStore, linearFit, mean } from '@restorelab/core';

/** One served demand fault: how many pages its UFFDIO_COPY moved and its logged latency. */
export interface FaultSample {
  readonly pages: number;
  readonly latencyNs: number;
}

/**
 * The demand faults of a log that copied pages (zero-page and stale faults are left out), with the
 * pages their one copy moved: the fault loop emits FaultRaised, its PagesCopied and FaultResolved
 * of a fault together, so the pages are those copied for the process between the two.
 */
export function faultSamples(store: EventStore): FaultSample[] {
  const out: FaultSample[] = [];
  const pending = new Map<number, number>();
  for (let i = 0; i < store.length; i++) {
    const kind = store.kind[i];
    const pid = store.pid[i];
    if (kind === EventKind.FaultRaised) pending.set(pid, 0);
    else if (kind === EventKind.PagesCopied && pending.has(pid)) {
      const cause = store.c[i];
      if (cause === CopyCause.Demand || cause === CopyCause.Prefetch) pending.set(pid, pending.get(pid)! + store.b[i]);
    } else if (kind === EventKind.FaultResolved && pending.has(pid)) {
      const pages = pending.get(pid)!;
      pending.delete(pid);
      if (pages > 0) out.push({ pages, latencyNs: store.b[i] });
    }
  }
  return out;
}

export interface FaultCostFit {
  /** Latency of a fault apart from the pages it copies. */
  readonly fixedNs: number;
  /** Latency added by each page the fault's copy moves. */
  readonly perPageNs: number;
  readonly samples: number;
}

/**
 * Least squares of latency = fixed + perPage * pages over the samples. Fitting means (not minima)
 * on purpose: the simulator's stall time is a sum, and it should match the sum Linux logs.
 */
export function fitFaultCost(samples: readonly FaultSample[]): FaultCostFit {
  const n = samples.length;
  if (n === 0) throw new Error('no demand fault to fit the fault cost on');
  const pages = samples.map((s) => s.pages);
  const { slope } = linearFit(pages, samples.map((s) => s.latencyNs));
  if (Number.isNaN(slope)) throw new Error('every fault copied the same number of pages: the per-page cost cannot be told from the fixed one');
  const perPageNs = Math.max(0, slope);
  return { fixedNs: Math.max(0, mean(samples.map((s) => s.latencyNs)) - perPageNs * mean(pages)), perPageNs, samples: n };
}
