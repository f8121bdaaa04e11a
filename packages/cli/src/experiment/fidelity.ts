import { Container } from 'inversify';
import { formatLink, Link, median, RestoreBackend, RunResult, StrategyRegistry, UsageError, Workload, WorkloadRegistry } from '@restorelab/core';
import { checkHugetlbPool } from '@restorelab/backend-linux';
import { CostModel, SimBackend } from '@restorelab/backend-sim';
import { appliesTo } from '@restorelab/strategies';
import { availableBackend, createWorkload, runOne } from '../run-one';

/** Small sizes: a Linux run of each takes milliseconds. */
export const FIDELITY_PAGES = 1024;
export const FIDELITY_ACCESSES = 4000;

export interface FidelityPair {
  readonly workload: string;
  readonly strategy: string;
  /** The link the pages came over (formatLink), null: local. */
  readonly link: string | null;
  /** Every strategy of the stack is deterministic: the demand faults must be identical. */
  readonly deterministic: boolean;
  /** Linux: the medians over the repetitions; stallNsRuns: every repetition's stall time, in run order. */
  readonly linux: BackendFigures & { readonly stallNsRuns: readonly number[] };
  readonly sim: BackendFigures;
  /** sim - linux */
  readonly faultDifference: number;
  /** (sim - linux) / linux demand faults; null when Linux had none and the simulator some. */
  readonly faultError: number | null;
  /** (sim - linux) / linux stall time; null when Linux stalled 0 ns. */
  readonly stallError: number | null;
  /** (sim - linux) / linux workload time: reported, not part of `ok`. */
  readonly workloadError: number | null;
  readonly ok: boolean;
}

export interface BackendFigures {
  readonly demandFaults: number;
  readonly stallNs: number;
  readonly workloadNs: number;
  readonly verified: boolean;
}

export interface FidelityOptions {
  /** Workload specs; default: every registered workload at small size. */
  readonly workloads?: readonly string[];
  /** Strategy stacks; default: every strategy that applies to the workload, on its own. */
  readonly strategies?: readonly string[];
  /** Each pair once per entry: undefined locally, a link over a shaped loopback page server (default: local only). */
  readonly links?: readonly (Link | undefined)[];
  /** Linux runs per pair, in rounds over all pairs (the median stall time is used). */
  readonly repetitions?: number;
  readonly seed?: number;
  /** A pair is ok when the faults and the verdicts match and |stall error| <= this. */
  readonly maxStallError?: number;
  /** For stacks with a reactive strategy: |fault error| <= this instead of identical faults. */
  readonly maxFaultError?: number;
  /**
   * A workload of the default list the machine cannot run on Linux (a hugetlb image the hugetlb
   * pool cannot hold) is left out and told here, with the reason; named workloads are never.
   */
  readonly onLeftOut?: (workload: string, reason: string) => void;
  /** After each Linux run: runs done, runs in all, the pair it was for. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
  readonly signal?: AbortSignal;
  /**
   * Calibrate during the comparison: a round before each round of Linux runs, then the simulator
   * runs with the model measured over the same minutes (a shared machine drifts between a
   * `calibrate` and a later `fidelity`). Without it the container's simulator (its cost model) runs.
   */
  readonly calibrator?: Calibrator;
}

/** Measures the cost model a round at a time (backend-linux's CostMeter, as a profile). */
export interface Calibrator {
  round(): Promise<void>;
  model(): CostModel;
}

/** The workload generators at the fidelity sizes (only the size parameters a generator has are set). */
export function smallWorkloadSpecs(container: Container): string[] {
  return container
    .get<WorkloadRegistry>(WorkloadRegistry)
    .all()
    .filter((c) => c.kind !== 'file')
    .map((c) => {
      const kv: string[] = [];
      if ('pages' in c.params) kv.push(`pages=${FIDELITY_PAGES}`);
      const accesses = c.params.accesses;
      if (accesses && typeof accesses.default === 'number' && accesses.default > 0) kv.push(`accesses=${FIDELITY_ACCESSES}`);
      return kv.length ? `${c.name}:${kv.join(',')}` : c.name;
    });
}

/** Drops the workloads whose hugetlb VMAs the hugetlb pool cannot hold, each told to onLeftOut with the reason. */
function leaveOutWhatLinuxCannotRun(workloads: Map<string, Workload>, onLeftOut?: (workload: string, reason: string) => void): void {
  for (const [spec, workload] of workloads) {
    try {
      checkHugetlbPool(workload.image, spec);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      onLeftOut?.(spec, e.message);
      workloads.delete(spec);
    }
  }
}

/** Linux runs per pair: the median of 5 stands a slow moment of a shared machine in two of them. */
export const DEFAULT_REPETITIONS = 5;

const relativeError = (sim: number, linux: number): number | null => (linux > 0 ? (sim - linux) / linux : sim === 0 ? 0 : null);


/**
 * Runs every (workload, strategy) pair on the simulator and on Linux and compares demand faults
 * (they must be identical for deterministic strategies) and stall time (the simulator's error).
 */
export async function measureFidelity(container: Container, opts: FidelityOptions = {}): Promise<FidelityPair[]> {
  await availableBackend(container, 'linux');
  await availableBackend(container, 'sim');
  const registry = container.get<StrategyRegistry>(StrategyRegistry);
  const seed = opts.seed ?? 1;
  const reps = Math.max(1, opts.repetitions ?? DEFAULT_REPETITIONS);
  const maxErr = opts.maxStallError ?? 0.15;
  const maxFaultErr = opts.maxFaultError ?? 0.1;
  const named = opts.workloads && opts.workloads.length > 0;
  const workloads = new Map((named ? opts.workloads! : smallWorkloadSpecs(container)).map((spec) => [spec, createWorkload(container, spec, seed)]));
  if (!named) leaveOutWhatLinuxCannotRun(workloads, opts.onLeftOut);
  const links = opts.links && opts.links.length > 0 ? opts.links : [undefined];
  const plan: { workload: string; strategy: string; link?: Link }[] = [];
  for (const [spec, workload] of workloads) {
    const stacks =
      opts.strategies && opts.strategies.length > 0
        ? [...opts.strategies]
        : registry
            .all()
            .filter((c) => appliesTo(c, workload))
            .map((c) => c.name);
    for (const link of links) for (const strategy of stacks) plan.push({ workload: spec, strategy, link });
  }
  const run = async (p: { workload: string; strategy: string; link?: Link }, backend: string | RestoreBackend): Promise<RunResult> =>
    (await runOne(container, { backend, workload: workloads.get(p.workload)!, strategy: p.strategy, seed, logPath: null, signal: opts.signal, link: p.link })).result;
  // Round by round over all pairs, so the repetitions of a pair fall in different moments of a
  // shared machine (a slow spell of a few seconds then moves one run of many pairs, not a median).
  const calibrator = opts.calibrator;
  const linuxRuns: RunResult[][] = plan.map(() => []);
  const total = plan.length * reps;
  let done = 0;
  for (let r = 0; r < reps && !opts.signal?.aborted; r++) {
    if (calibrator) await calibrator.round();
    for (let i = 0; i < plan.length && !opts.signal?.aborted; i++) {
      linuxRuns[i].push(await run(plan[i], 'linux'));
      opts.onProgress?.(++done, total, `${plan[i].workload} ${plan[i].strategy}${plan[i].link ? ` over ${formatLink(plan[i].link!)}` : ''}`);
    }
  }
  const simBackend: string | RestoreBackend = calibrator && linuxRuns[0]?.length ? new SimBackend(calibrator.model()) : 'sim';
  const sims: RunResult[] = [];
  for (const [i, p] of plan.entries()) {
    if (opts.signal?.aborted || linuxRuns[i].length === 0) break;
    sims.push(await run(p, simBackend));
  }
  const pairs: FidelityPair[] = [];
  for (const [i, sim] of sims.entries()) {
    const p = plan[i];
    const runs = linuxRuns[i];
    if (runs.length === 0) break;
    const stallNsRuns = runs.map((x) => x.metrics.stallNs);
    const linuxStall = median(stallNsRuns);
    const linuxWorkload = median(runs.map((x) => x.metrics.workloadNs));
    const deterministic = isDeterministic(registry, p.strategy);
    // deterministic stacks fault the same in every run; the others' runs differ: their median
    const linuxFaults = deterministic ? runs[0].metrics.demandFaults : median(runs.map((x) => x.metrics.demandFaults));
    const linuxVerified = runs.every((x) => x.verified);
    const faultDifference = sim.metrics.demandFaults - linuxFaults;
    const faultError = relativeError(sim.metrics.demandFaults, linuxFaults);
    const stallError = relativeError(sim.metrics.stallNs, linuxStall);
    const faultsOk = deterministic ? faultDifference === 0 : faultError !== null && Math.abs(faultError) <= maxFaultErr;
    pairs.push({
      workload: p.workload,
      strategy: p.strategy,
      link: p.link ? formatLink(p.link) : null,
      deterministic,
      linux: { demandFaults: linuxFaults, stallNs: linuxStall, workloadNs: linuxWorkload, verified: linuxVerified, stallNsRuns },
      sim: { demandFaults: sim.metrics.demandFaults, stallNs: sim.metrics.stallNs, workloadNs: sim.metrics.workloadNs, verified: sim.verified },
      faultDifference,
      faultError,
      stallError,
      workloadError: relativeError(sim.metrics.workloadNs, linuxWorkload),
      // Both backends must reach the same verdict (a workload that shows a bug fails on both).
      ok: faultsOk && stallError !== null && Math.abs(stallError) <= maxErr && sim.verified === linuxVerified,
    });
  }
  return pairs;
}

/** Whether every strategy of a stack (e.g. `thp-guard,leap-trend:window=8`) is deterministic. */
function isDeterministic(registry: StrategyRegistry, stack: string): boolean {
  return registry.instantiate(stack).every((s) => registry.get(s.name)?.deterministic === true);
}
