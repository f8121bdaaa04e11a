import { createHash } from 'crypto';
import * as os from 'os';
import * as path from 'path';
import { BackendRegistry, StrategyRegistry, UsageError, WorkloadRegistry } from '@restorelab/core';
import { loadCostModel } from '@restorelab/backend-sim';
import { createContainer } from '../container';
import { whyUnavailable } from '../run-one';
import { executeRun, RunTask, taskOf, TaskResult } from './execute-run';
import { expandExperiment, PlannedRun } from './expand-experiment';
import { loadExperiment } from './load-experiment';
import { MatrixProgress } from './matrix-progress';
import { ensureOutputDir, isDone, MatrixPlan, PLAN_FORMAT, readRecord, removeTemporaryFiles, writePlan, writeRecord } from './output-dir';
import { writeOutputs } from './write-outputs';
import { Shard, shardRuns } from './shard';
import { WorkerPool } from './worker-pool';

export interface MatrixOptions {
  readonly file: string;
  /** Default: runs/<experiment name>. */
  readonly out?: string;
  /** Simulator runs in parallel; default: the number of CPUs. */
  readonly jobs?: number;
  readonly shard?: Shard;
  readonly plugins?: readonly string[];
  /** Overrides the experiment's costModel. */
  readonly costModelFile?: string;
  readonly signal?: AbortSignal;
  readonly progress?: MatrixProgress;
  /** Runs only the planned runs this accepts (the rest are left for later), e.g. to resume in tests. */
  readonly filter?: (run: PlannedRun) => boolean;
  /** Skip report.html (results are still written). */
  readonly noReport?: boolean;
  /** Leave the runs of backends unavailable here for later instead of refusing to start. */
  readonly skipUnavailable?: boolean;
  /** Called for each backend whose runs are left for later, before any run starts. */
  readonly onSkip?: (skip: UnavailableBackend) => void;
  /** Refuse an experiment of more runs than this (default DEFAULT_MAX_RUNS), counted before it is expanded. */
  readonly maxRuns?: number;

}

/** A backend this machine cannot use, and its runs that an invocation left for later. */
export interface UnavailableBackend {
  readonly backend: string;
  readonly runs: number;
  /** The backend's own one-line reason. */
  readonly reason: string;
}

export interface MatrixOutcome {
  readonly dir: string;
  readonly name: string;
  /** Runs of the whole experiment. */
  readonly planned: number;
  /** Runs of this shard. */
  readonly inShard: number;
  /** Finished before this invocation (skipped). */
  readonly skipped: number;
  /** Finished by this invocation. */
  readonly ran: number;
  /** Backends not available here whose runs were left for later (not recorded: a later invocation runs them). */
  readonly unavailable: readonly UnavailableBackend[];
  readonly failed: readonly { readonly run: PlannedRun; readonly error: string }[];
  readonly unverified: readonly PlannedRun[];
  readonly interrupted: boolean;
}

/** The human name of a run, for progress lines. */
export function runLabel(r: PlannedRun): string {
  return `${r.backend} ${r.workload.label} ${r.strategy.label} #${r.repetition + 1}`;
}

/**
 * The backends of `runs` this machine cannot use. Without `skip`, the first one is an error that
 * names the option that would run the rest.
 */
async function unavailableBackends(registry: BackendRegistry, runs: readonly PlannedRun[], skip: boolean): Promise<UnavailableBackend[]> {
  const unavailable: UnavailableBackend[] = [];
  for (const backend of new Set(runs.map((r) => r.backend))) {
    const reason = await whyUnavailable(registry.get(backend));
    if (reason === undefined) continue;
    if (!skip)
      throw new Error(`backend ${backend} is not available here: ${reason} (the experiment needs it; --skip-unavailable runs the rest)`);
    unavailable.push({ backend, runs: runs.filter((r) => r.backend === backend).length, reason });
  }
  return unavailable;
}

export function planFingerprint(runs: readonly PlannedRun[]): string {
  return createHash('sha256')
    .update(runs.map((r) => r.id).join('\n'))
    .digest('hex')
    .slice(0, 16);
}

/**
 * `restorelab matrix`: expands the experiment, skips the runs the output directory already holds
 * (and, if told to, those of backends unavailable here), runs the rest (simulator runs on worker
 * threads, others one at a time on this thread), records each run as it finishes, then writes
 * results.csv, results.json and report.html. An abort (Ctrl-C) stops the workers; the finished
 * runs stay and the same command resumes.
 */
export async function runMatrix(opts: MatrixOptions): Promise<MatrixOutcome> {
  const loaded = loadExperiment(opts.file);
  const exp = loaded.experiment;
  const costModelFile = opts.costModelFile ?? (exp.costModel ? path.resolve(path.dirname(opts.file), exp.costModel) : undefined);
  const simCostModel = costModelFile ? JSON.stringify(loadCostModel(costModelFile)) : undefined;
  const containerOptions = { plugins: [...(opts.plugins ?? [])], costModelFile };
  const container = await createContainer(containerOptions);
  const runs = expandExperiment(
    exp,
    {
      workloads: container.get<WorkloadRegistry>(WorkloadRegistry),
      strategies: container.get<StrategyRegistry>(StrategyRegistry),
      backends: container.get<BackendRegistry>(BackendRegistry),
    },
    { simCostModel, source: `experiment ${opts.file}`, maxRuns: opts.maxRuns },
  );
  const dir = path.resolve(opts.out ?? path.join('runs', loaded.name));
  const mine = shardRuns(runs, opts.shard);
  const wanted = mine.filter((r) => !isDone(readRecord(dir, r.id)) && (!opts.filter || opts.filter(r)));
  const skipped = mine.filter((r) => isDone(readRecord(dir, r.id))).length;

  const registry = container.get<BackendRegistry>(BackendRegistry);
  const unavailable = await unavailableBackends(registry, wanted, opts.skipUnavailable === true);
  const todo = wanted.filter((r) => !unavailable.some((u) => u.backend === r.backend));

  ensureOutputDir(dir);
  const plan: MatrixPlan = {
    format: PLAN_FORMAT,
    name: loaded.name,
    ...(exp.description ? { description: exp.description } : {}),
    fingerprint: planFingerprint(runs),
    runs,
  };
  writePlan(dir, plan);

  for (const u of unavailable) opts.onSkip?.(u);
  const progress = opts.progress;
  const leftForLater = wanted.length - todo.length;
  progress?.start(mine.length - leftForLater, skipped);
  const failed: { run: PlannedRun; error: string }[] = [];
  const unverified: PlannedRun[] = [];
  const byId = new Map(runs.map((r) => [r.id, r]));
  let ran = 0;
  let usageError: string | undefined;
  const controller = new AbortController();
  const stop = () => controller.abort();
  if (opts.signal?.aborted) stop();
  opts.signal?.addEventListener('abort', stop);

  const pool = new WorkerPool(Math.max(1, opts.jobs ?? os.cpus().length), containerOptions);
  controller.signal.addEventListener('abort', () => void pool.terminate());

  const onResult = (task: RunTask, result: TaskResult) => {
    if (result.aborted || controller.signal.aborted) return;
    const run = byId.get(task.id)!;
    writeRecord(dir, result.record);
    if (result.record.error !== undefined) {
      failed.push({ run, error: result.record.error });
      if (result.usageError) {
        usageError ??= `${runLabel(run)}: ${result.record.error}`;
        stop();
      }
    } else {
      ran++;
      if (!result.record.verified) unverified.push(run);
    }
    const outcome = result.record.error !== undefined ? 'failed' : result.record.verified ? 'ok' : 'unverified';
    progress?.runFinished(runLabel(run), outcome, result.record.wallMs);
  };

  try {
    const parallel = todo.filter((r) => r.backend === 'sim').map((r) => taskOf(r, dir));
    const serial = todo.filter((r) => r.backend !== 'sim').map((r) => taskOf(r, dir));
    if (!controller.signal.aborted) await pool.run(parallel, onResult);
    for (const task of serial) {
      if (controller.signal.aborted) break;
      onResult(task, await executeRun(container, task, controller.signal));
    }
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    await pool.terminate();
    // a worker stopped mid-write leaves its log's temporary file
    removeTemporaryFiles(dir);
    progress?.stop();
  }
  if (usageError) throw new UsageError(usageError);

  writeOutputs(dir, plan, { report: !opts.noReport });
  return {
    dir,
    name: loaded.name,
    planned: runs.length,
    inShard: mine.length,
    skipped,
    ran,
    unavailable,
    failed,
    unverified,
    interrupted: controller.signal.aborted,
  };
}
