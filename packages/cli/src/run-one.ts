import { Container } from 'inversify';
import { BackendRegistry, CopyEngine, Link, RestoreBackend, RunOutcome, RunProfile, runRestore, StrategyRegistry, Workload, WorkloadFits, WorkloadRegistry } from '@restorelab/core';
import { oneLine } from './errors';

export interface RunOneRequest {
  /** A backend's name, or a backend (e.g. a simulator with a cost model measured just now). */
  readonly backend: string | RestoreBackend;
  /** A workload spec (`zipf:pages=4096`), or a workload already generated (to run it several times). */
  readonly workload: string | Workload;
  /** A strategy stack, e.g. `thp-guard,neighbor-prefetch:window=16`. */
  readonly strategy: string;
  readonly seed: number;
  readonly logPath: string | null;
  readonly onProgress?: (fraction: number) => void;
  readonly signal?: AbortSignal;
  readonly profile?: RunProfile;
  /** The pages come over this link (the simulator models it, Linux shapes a page server on loopback). */
  readonly link?: Link;
  /** How copied pages are placed (default copy). */
  readonly copyEngine?: CopyEngine;
}

/**
 * A workload spec with the run's seed filled in when the generator takes a `seed` the spec does
 * not set, so `--seed` varies the workload too.
 */
export function workloadSpecWithSeed(container: Container, spec: string, seed: number): string {
  const registry = container.get<WorkloadRegistry>(WorkloadRegistry);
  const parsed = registry.parse(spec);
  const c = registry.get(parsed.name);
  if (!c || !('seed' in c.params) || 'seed' in parsed.raw) return spec;
  return `${spec.trim()}${spec.includes(':') ? ',' : ':'}seed=${seed}`;
}

/**
 * Generates a workload (UsageError for an unknown name or a bad parameter, or one too large for
 * this machine or, as `fits` says, for where it goes: refused before it is built).
 */
export function createWorkload(container: Container, spec: string, seed: number, fits?: WorkloadFits): Workload {
  return container.get<WorkloadRegistry>(WorkloadRegistry).create(workloadSpecWithSeed(container, spec, seed), fits);
}

/** What `backend` says of a workload's size before it is built. */
export function fitsBackend(backend: RestoreBackend): WorkloadFits {
  return (size, what) => backend.checkFits?.(size, what);
}

/** Why the backend cannot run here, in one line; undefined when it can. */
export async function whyUnavailable(backend: RestoreBackend): Promise<string | undefined> {
  const availability = await backend.availability();
  return availability.available ? undefined : oneLine(availability.reason ?? '') || 'no reason given';
}

/** The backend by name, checked to be usable here (UsageError for an unknown name). */
export async function availableBackend(container: Container, name: string): Promise<RestoreBackend> {
  const backend = container.get<BackendRegistry>(BackendRegistry).get(name);
  const reason = await whyUnavailable(backend);
  if (reason !== undefined) throw new Error(`backend ${name} is not available here: ${reason}`);
  return backend;
}

/** One restore, names resolved through the registries. */
export async function runOne(container: Container, req: RunOneRequest): Promise<RunOutcome> {
  const registry = container.get<StrategyRegistry>(StrategyRegistry);
  const strategies = registry.instantiate(req.strategy);
  const backend = typeof req.backend === 'string' ? await availableBackend(container, req.backend) : req.backend;
  const workload = typeof req.workload === 'string' ? createWorkload(container, req.workload, req.seed, fitsBackend(backend)) : req.workload;
  return runRestore({
    backend,
    workload,
    strategy: req.strategy,
    strategies,
    freshStrategies: () => registry.instantiate(req.strategy),
    seed: req.seed,
    logPath: req.logPath,
    onProgress: req.onProgress,
    signal: req.signal,
    profile: req.profile,
    link: req.link,
    copyEngine: req.copyEngine,
  });
}
