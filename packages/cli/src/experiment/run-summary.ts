import { EventKind, EventStore } from '@restorelab/core';

/** Points of the curves the report draws for one run, folded from its log when the run ends. */
export interface RunSummary {
  /** Fault latency (ns) at probabilities 0, 1/Q, ..., 1 (nearest rank); empty without faults. */
  readonly latencyQuantiles: number[];
  /** Pages present (any cause) at times tNs, a step curve from the restore start to its end. */
  readonly presence: { readonly tNs: number[]; readonly pages: number[] };
  readonly totalPages: number;
}

export const LATENCY_QUANTILES = 100;
const PRESENCE_POINTS = 120;

class PresenceBits {
  private bits = new Uint8Array(0);
  /** Marks [start, start+count) and returns how many pages were not marked before. */
  mark(start: number, count: number): number {
    if (!(start >= 0 && count > 0)) return 0;
    const end = start + count;
    if (end > this.bits.length) {
      const grown = new Uint8Array(Math.max(end, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    let added = 0;
    for (let i = start; i < end; i++) {
      if (this.bits[i] === 0) {
        this.bits[i] = 1;
        added++;
      }
    }
    return added;
  }
}

export function summarizeRun(store: EventStore): RunSummary {
  const n = store.length;
  const { t, kind, pid, a, b, c } = store;
  const latencies: number[] = [];
  const bits = new Map<number, PresenceBits>();
  const present = (p: number) => {
    let x = bits.get(p);
    if (!x) bits.set(p, (x = new PresenceBits()));
    return x;
  };
  let totalPages = 0;
  let start = NaN;
  let end = 0;
  const steps: number[] = [];
  let pages = 0;
  for (let i = 0; i < n; i++) {
    let added = 0;
    switch (kind[i]) {
      case EventKind.RestoreStarted:
        if (Number.isNaN(start)) {
          start = t[i];
          totalPages = c[i];
        }
        break;
      case EventKind.FaultResolved:
        latencies.push(b[i]);
        break;
      case EventKind.PagesPrefilled:
      case EventKind.PagesCopied:
      case EventKind.ZeroPageMapped:
        added = present(pid[i]).mark(a[i], b[i]);
        break;
      case EventKind.HugePageCollapsed:
        added = present(pid[i]).mark(b[i], c[i]);
        break;
      default:
        break;
    }
    if (t[i] > end) end = t[i];
    if (added > 0) {
      pages += added;
      steps.push(t[i], pages);
    }
  }
  latencies.sort((x, y) => x - y);
  const q: number[] = [];
  if (latencies.length > 0) {
    for (let k = 0; k <= LATENCY_QUANTILES; k++) {
      const rank = Math.max(1, Math.ceil((k / LATENCY_QUANTILES) * latencies.length));
      q.push(latencies[rank - 1]);
    }
  }
  const t0 = Number.isNaN(start) ? 0 : start;
  const tNs: number[] = [];
  const values: number[] = [];
  const span = Math.max(0, end - t0);
  let j = 0;
  let cur = 0;
  for (let k = 0; k <= PRESENCE_POINTS; k++) {
    const at = t0 + (span * k) / PRESENCE_POINTS;
    while (j < steps.length && steps[j] <= at) {
      cur = steps[j + 1];
      j += 2;
    }
    tNs.push(Math.round(at - t0));
    values.push(cur);
  }
  return { latencyQuantiles: q, presence: { tNs, pages: values }, totalPages };
}
