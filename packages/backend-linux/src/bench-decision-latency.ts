import { percentiles, Percentiles, runRestore } from '@restorelab/core';
import { builtIn, referenceRun } from './bench';
import { decisionLatencies, nextPageOnFault } from './decision-latency';
import { LinuxBackend } from './linux-backend';
import { DEFAULT_PLACEMENT, Placement } from './placement';

export interface BenchDecisionLatencyOptions {
  /** Pages of the seq workload (default 16384). */
  readonly pages?: number;
  /** Echo restores, the first in a fresh process counts as such (default 1). */
  readonly runs?: number;
  readonly placement?: Placement;
}

export interface DecisionLatencyRun {
  readonly demandFaults: number;
  /** Faults the echo answered: its command was queued, or dropped because the page came in first. */
  readonly decisions: number;
  /** Fault to the session handling its command (queued or dropped as too late), ns. */
  readonly decisionLatencyNs: Percentiles;
  /** Of those, the commands that reached the copy queue (CopyLanded). */
  readonly landed: number;
  /** Fault to landing, for those, ns. */
  readonly landedLatencyNs: Percentiles;
}

export interface BenchDecisionLatencyResult {
  readonly workload: string;
  /** In the order they ran; runs[0] is the first restore of this process. */
  readonly runs: readonly DecisionLatencyRun[];
  /** The minimal C handler's fault round trip on the same workload, as the workload sees it. */
  readonly referenceNsPerFault: number;
  /** runs[0]'s p50 and p99 over referenceNsPerFault. */
  readonly p50Ratio: number;
  readonly p99Ratio: number;
}

/**
 * An echo strategy (asks for the page after each faulting page as it hears of the fault) under a
 * demand-only seq restore, with every event logged: from each fault to the session handling the
 * command it caused. Every fault counts, also those whose command came so late that the page was
 * already in (dropped as a duplicate, it never lands): leaving them out would flatter a slow path. The echo restores run first, so runs[0] is a fresh process's first restore;
 * the C reference runs after them.
 */
export async function benchDecisionLatency(opts: BenchDecisionLatencyOptions = {}): Promise<BenchDecisionLatencyResult> {
  const pages = opts.pages ?? 16384;
  const placement = opts.placement ?? DEFAULT_PLACEMENT;
  const spec = `seq:pages=${pages}`;
  const runs: DecisionLatencyRun[] = [];
  for (let i = 0; i < Math.max(1, opts.runs ?? 1); i++) {
    const out = await runRestore({
      backend: new LinuxBackend({ noVerify: true, placement }),
      workload: builtIn(spec),
      strategy: 'echo',
      strategies: [{ name: 'echo', spec: 'echo', instance: nextPageOnFault }],
      seed: 1,
      logPath: null,
    });
    const m = out.result.metrics;
    const all = Float64Array.from(decisionLatencies(out.store));
    runs.push({ demandFaults: m.demandFaults, decisions: all.length, decisionLatencyNs: percentiles(all), landed: m.decisions, landedLatencyNs: m.decisionLatencyNs });
  }
  const ref = await referenceRun(builtIn(spec), 'reference-fault', placement);
  const referenceNsPerFault = ref.faults > 0 ? Math.round((ref.endT - ref.goT) / ref.faults) : 0;
  const first = runs[0].decisionLatencyNs;
  return {
    workload: spec,
    runs,
    referenceNsPerFault,
    p50Ratio: referenceNsPerFault > 0 ? first.p50 / referenceNsPerFault : 0,
    p99Ratio: referenceNsPerFault > 0 ? first.p99 / referenceNsPerFault : 0,
  };
}
