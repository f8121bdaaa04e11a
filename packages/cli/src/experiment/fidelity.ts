import { Container } from 'inversify';
import { RunResult, StrategyRegistry, WorkloadRegistry } from '@restorelab/core';
import { appliesTo } from '@restorelab/strategies';
import { availableBackend, createWorkload, runOne } from '../run-one';

/** Small sizes: a Linux run of each takes milliseconds. */
export const FIDELITY_PAGES = 1024;
export const FIDELITY_ACCESSES = 4000;

export interface FidelityPair {
  readonly workload: string;
  readonly strategy: string;
  readonly linux: { readonly demandFaults: number; readonly stallNs: number; readonly verified: boolean };
  readonly sim: { readonly demandFaults: number; readonly stallNs: number; readonly verified: boolean };
  /** sim - linux */
  readonly faultDifference: number;
  /** (sim - linux) / linux stall time; null when Linux stalled 0 ns. */
  readonly stallError: number | null;
  readonly ok: boolean;
}

export interface FidelityOptions {
  /** Workload specs; default: every registered workload at small size. */
  readonly workloads?: readonly string[];
  /** Strategy stacks; default: every deterministic strategy on its own. */
  readonly strategies?: readonly string[];
  /** Linux runs per pair (the median stall time is used). */
  readonly repetitions?: number;
  readonly seed?: number;
  /** A pair is ok when the faults and the verdicts match and |stall error| <= this. */
  readonly maxStallError?: number;
  readonly onPair?: (pair: FidelityPair, index: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** The built-in workloads at the fidelity sizes (only the size parameters a generator has are set). */
export function smallWorkloadSpecs(container: Container): string[] {
  return container
    .get<WorkloadRegistry>(WorkloadRegistry)
    .all()
    .map((c) => {
      const kv: string[] = [];
      if ('pages' in c.params) kv.push(`pages=${FIDELITY_PAGES}`);
      const accesses = c.params.accesses;
      if (accesses && typeof accesses.default === 'number' && accesses.default > 0) kv.push(`accesses=${FIDELITY_ACCESSES}`);
      return kv.length ? `${c.name}:${kv.join(',')}` : c.name;
    });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs every (workload, strategy) pair on the simulator and on Linux and compares demand faults
 * (they must be identical for deterministic strategies) and stall time (the simulator's error).
 */
export async function measureFidelity(container: Container, opts: FidelityOptions = {}): Promise<FidelityPair[]> {
  await availableBackend(container, 'linux');
  await availableBackend(container, 'sim');
  const registry = container.get<StrategyRegistry>(StrategyRegistry);
  const seed = opts.seed ?? 1;
  const reps = Math.max(1, opts.repetitions ?? 3);
  const maxErr = opts.maxStallError ?? 0.15;
  const specs = opts.workloads && opts.workloads.length > 0 ? [...opts.workloads] : smallWorkloadSpecs(container);
  const plan: { workload: string; strategy: string }[] = [];
  for (const spec of specs) {
    const workload = createWorkload(container, spec, seed);
    const stacks =
      opts.strategies && opts.strategies.length > 0
        ? [...opts.strategies]
        : registry
            .all()
            .filter((c) => c.deterministic && appliesTo(c, workload))
            .map((c) => c.name);
    for (const strategy of stacks) plan.push({ workload: spec, strategy });
  }
  const pairs: FidelityPair[] = [];
  for (const [i, p] of plan.entries()) {
    if (opts.signal?.aborted) break;
    const workload = createWorkload(container, p.workload, seed);
    const run = async (backend: string): Promise<RunResult> =>
      (await runOne(container, { backend, workload, strategy: p.strategy, seed, logPath: null, signal: opts.signal })).result;
    const sim = await run('sim');
    const linuxRuns: RunResult[] = [];
    for (let r = 0; r < reps; r++) linuxRuns.push(await run('linux'));
    const linuxStall = median(linuxRuns.map((x) => x.metrics.stallNs));
    const linuxFaults = linuxRuns[0].metrics.demandFaults;
    const faultDifference = sim.metrics.demandFaults - linuxFaults;
    const stallError = linuxStall > 0 ? (sim.metrics.stallNs - linuxStall) / linuxStall : sim.metrics.stallNs === 0 ? 0 : null;
    const pair: FidelityPair = {
      workload: p.workload,
      strategy: p.strategy,
      linux: { demandFaults: linuxFaults, stallNs: linuxStall, verified: linuxRuns.every((x) => x.verified) },
      sim: { demandFaults: sim.metrics.demandFaults, stallNs: sim.metrics.stallNs, verified: sim.verified },
      faultDifference,
      stallError,
      // Both backends must reach the same verdict (a workload that shows a bug fails on both).
      ok:
        faultDifference === 0 &&
        stallError !== null &&
        Math.abs(stallError) <= maxErr &&
        sim.verified === linuxRuns.every((x) => x.verified),
    };
    pairs.push(pair);
    opts.onPair?.(pair, i, plan.length);
  }
  return pairs;
}
