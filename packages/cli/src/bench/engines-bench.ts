import { Container } from 'inversify';
import { DEFAULT_PLACEMENT, LinuxBackend, Placement } from '@restorelab/backend-linux';
import { BackendRegistry, COPY_ENGINES, CopyEngine, median, RestoreBackend, RunResult, Workload } from '@restorelab/core';
import { createWorkload, runOne } from '../run-one';

export interface EnginesBenchOptions {
  /** Pages of the seq workload restored eagerly (default 262144: 1 GiB). */
  readonly eagerPages?: number;
  /** Pages of the seq workload restored on demand (default 16384). */
  readonly demandPages?: number;
  /** Measured rounds after one warm-up round; the best eager restore and the median fault of each engine are kept (default 3). */
  readonly repeat?: number;
  readonly placement?: Placement;
}

export interface EngineBenchRow {
  readonly engine: CopyEngine;
  /** Eager restore, RestoreStarted to the last page present (best round), ms. */
  readonly eagerMs: number;
  /** copy's eagerMs / this engine's: above 1, faster than copy. */
  readonly eagerSpeedup: number;
  /** The eager run's workload phase (the process's first writes to pages continue maps from the page cache copy them), ms. */
  readonly eagerWorkloadMs: number;
  /** Demand-only: the p50 fault latency as the monitor logs it (read to wake), us (median of the rounds). */
  readonly faultP50Us: number;
  /** Demand-only: the p50 of the process's waits at its faulting accesses, us. */
  readonly stallP50Us: number;
  /** The simulator's eager restore with this engine and the same cost model, ms. */
  readonly simEagerMs: number;
  readonly simFaultP50Us: number;
}

export interface EnginesBenchResult {
  readonly eagerWorkload: string;
  readonly demandWorkload: string;
  readonly rows: readonly EngineBenchRow[];
}

/**
 * The copy engines side by side in this process, interleaved round by round (the engine order
 * rotates, so a busy moment of the machine does not land on one engine), the first round a warm-up;
 * every run is verified. The simulator's prediction of the same runs beside them.
 */
export async function benchEngines(container: Container, opts: EnginesBenchOptions = {}): Promise<EnginesBenchResult> {
  const repeat = Math.max(1, opts.repeat ?? 3);
  const placement = opts.placement ?? DEFAULT_PLACEMENT;
  const eager = createWorkload(container, `seq:pages=${opts.eagerPages ?? 262144}`, 1);
  const demand = createWorkload(container, `seq:pages=${opts.demandPages ?? 16384}`, 1);
  const eagerMs = new Map<CopyEngine, number>();
  const workloadMs = new Map<CopyEngine, number>();
  const faults = new Map<CopyEngine, number[]>();
  const stalls = new Map<CopyEngine, number[]>();
  const once = async (backend: RestoreBackend, workload: Workload, strategy: string, copyEngine: CopyEngine): Promise<RunResult> => {
    const out = await runOne(container, { backend, workload, strategy, seed: 1, logPath: null, copyEngine });
    if (!out.result.verified) throw new Error(`bench engines: the ${strategy} restore of ${workload.spec} with engine ${copyEngine} did not verify`);
    return out.result;
  };
  for (let round = 0; round <= repeat; round++) {
    const order = COPY_ENGINES.map((_, i) => COPY_ENGINES[(i + round) % COPY_ENGINES.length]);
    for (const engine of order) {
      const e = await once(new LinuxBackend({ placement }), eager, 'eager', engine);
      const d = await once(new LinuxBackend({ placement }), demand, 'demand-only', engine);
      if (round === 0) continue;
      if (e.metrics.restoreNs / 1e6 < (eagerMs.get(engine) ?? Infinity)) {
        eagerMs.set(engine, e.metrics.restoreNs / 1e6);
        workloadMs.set(engine, e.metrics.workloadNs / 1e6);
      }
      faults.set(engine, [...(faults.get(engine) ?? []), d.metrics.faultLatencyNs.p50 / 1e3]);
      stalls.set(engine, [...(stalls.get(engine) ?? []), d.metrics.stallLatencyNs.p50 / 1e3]);
    }
  }
  // the simulator as the container has it (with --cost-model FILE, that model)
  const sim = container.get<BackendRegistry>(BackendRegistry).get('sim');
  const rows: EngineBenchRow[] = [];
  for (const engine of COPY_ENGINES) {
    const simEager = await once(sim, eager, 'eager', engine);
    const simDemand = await once(sim, demand, 'demand-only', engine);
    rows.push({
      engine,
      eagerMs: eagerMs.get(engine)!,
      eagerSpeedup: eagerMs.get('copy')! / eagerMs.get(engine)!,
      eagerWorkloadMs: workloadMs.get(engine)!,
      faultP50Us: median(faults.get(engine)!),
      stallP50Us: median(stalls.get(engine)!),
      simEagerMs: simEager.metrics.restoreNs / 1e6,
      simFaultP50Us: simDemand.metrics.faultLatencyNs.p50 / 1e3,
    });
  }
  return { eagerWorkload: eager.spec, demandWorkload: demand.spec, rows };
}
