import * as path from 'path';
import { Container } from 'inversify';
import { CopyEngine, errorMessage, parseLink } from '@restorelab/core';
import { isUsageError } from '../errors';
import { runOne } from '../run-one';
import { writeArrowLog } from './arrow-log';
import { PlannedRun } from './expand-experiment';
import { logRelPath, RunRecord } from './output-dir';
import { summarizeRun } from './run-summary';

/** What a worker needs to run one planned run (plain data: it crosses a thread boundary). */
export interface RunTask {
  readonly id: string;
  readonly backend: string;
  readonly workload: string;
  readonly strategy: string;
  readonly seed: number;
  /** run --link's spec; absent: local. */
  readonly link?: string;
  /** run --copy-engine; absent: copy. */
  readonly copyEngine?: CopyEngine;
  /** The output directory (absolute). */
  readonly dir: string;
}

export interface TaskResult {
  readonly record: RunRecord;
  /** The error was a user mistake (bad parameter...): every similar run would fail too. */
  readonly usageError: boolean;
  /** The run was stopped by the abort signal. */
  readonly aborted: boolean;
}

export function taskOf(run: PlannedRun, dir: string): RunTask {
  return { id: run.id, backend: run.backend, workload: run.workload.spec, strategy: run.strategy.spec, seed: run.seed, dir, ...(run.link ? { link: run.link.spec } : {}), ...(run.copyEngine ? { copyEngine: run.copyEngine } : {}) };
}

/** Runs one task: the restore, its Arrow log, the report's curves. Never throws. */
export async function executeRun(container: Container | Promise<Container>, task: RunTask, signal?: AbortSignal): Promise<TaskResult> {
  const started = Date.now();
  try {
    const outcome = await runOne(await container, {
      backend: task.backend,
      workload: task.workload,
      strategy: task.strategy,
      seed: task.seed,
      logPath: null,
      signal,
      link: task.link === undefined ? undefined : parseLink(task.link),
      copyEngine: task.copyEngine,
    });
    if (signal?.aborted) return failed(task, 'interrupted', started, false, true);
    const log = logRelPath(task.id);
    writeArrowLog(path.join(task.dir, log), outcome.meta, outcome.store);
    const record: RunRecord = {
      id: task.id,
      verified: outcome.result.verified,
      metrics: outcome.result.metrics,
      summary: summarizeRun(outcome.store),
      wallMs: Date.now() - started,
      log,
    };
    return { record, usageError: false, aborted: false };
  } catch (e) {
    return failed(task, errorMessage(e), started, isUsageError(e), signal?.aborted === true);
  }
}

function failed(task: RunTask, error: string, started: number, usageError: boolean, aborted: boolean): TaskResult {
  return { record: { id: task.id, verified: false, error, wallMs: Date.now() - started }, usageError, aborted };
}
