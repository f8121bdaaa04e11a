import * as fs from 'fs';
import * as path from 'path';
import { RunMetrics, UsageError } from '@restorelab/core';
import { PlannedRun } from './expand-experiment';
import { RunSummary } from './run-summary';

/**
 * An experiment's output directory:
 *   plan.json          the experiment and every run of its expansion (all shards), in order
 *   runs/<id>.json     one record per finished run (written last: its existence means finished)
 *   logs/<id>.arrow    the run's event log (Arrow IPC file)
 *   results.csv, results.json, report.html
 */
export const PLAN_FILE = 'plan.json';
export const PLAN_FORMAT = 'restorelab-matrix-plan/1';

export interface MatrixPlan {
  readonly format: typeof PLAN_FORMAT;
  readonly name: string;
  readonly description?: string;
  /** Hash of every run id in order: equal for every shard of one experiment. */
  readonly fingerprint: string;
  readonly runs: readonly PlannedRun[];
}

/** What a finished run left behind (runs/<id>.json). */
export interface RunRecord {
  readonly id: string;
  readonly verified: boolean;
  /** Set when the run could not complete; metrics are then absent. */
  readonly error?: string;
  readonly metrics?: RunMetrics;
  readonly summary?: RunSummary;
  /** Wall-clock time of the run (not part of the results: it differs between machines). */
  readonly wallMs: number;
  /** The log, relative to the output directory. */
  readonly log?: string;
}

export function logRelPath(id: string): string {
  return `logs/${id}.arrow`;
}

export function recordPath(dir: string, id: string): string {
  return path.join(dir, 'runs', `${id}.json`);
}

export function ensureOutputDir(dir: string): void {
  try {
    fs.mkdirSync(path.join(dir, 'runs'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot create output directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  removeTemporaryFiles(dir);
}

/** Leftovers of runs that were stopped while writing. */
export function removeTemporaryFiles(dir: string): void {
  for (const sub of ['runs', 'logs']) {
    const d = path.join(dir, sub);
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d)) if (f.includes('.tmp-')) fs.rmSync(path.join(d, f), { force: true });
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 1) + '\n');
}

/** Writes `file` through a temporary name beside it, so a file that exists is complete. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export function writePlan(dir: string, plan: MatrixPlan): void {
  writeJsonAtomic(path.join(dir, PLAN_FILE), plan);
}

export function readPlan(dir: string): MatrixPlan {
  const file = path.join(dir, PLAN_FILE);
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `${dir} is not a matrix output directory (no ${PLAN_FILE})` : `cannot read ${file}: ${code ?? (e as Error).message}`,
    );
  }
  if ((value as { format?: unknown } | null)?.format !== PLAN_FORMAT) throw new UsageError(`${file} is not a restorelab matrix plan`);
  return value as MatrixPlan;
}

export function writeRecord(dir: string, record: RunRecord): void {
  writeJsonAtomic(recordPath(dir, record.id), record);
}

/** The record of a run, or undefined when the run has not finished (or its files are incomplete). */
export function readRecord(dir: string, id: string): RunRecord | undefined {
  let record: RunRecord;
  try {
    record = JSON.parse(fs.readFileSync(recordPath(dir, id), 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
  if (record.id !== id) return undefined;
  if (record.log && !fs.existsSync(path.join(dir, record.log))) return undefined;
  return record;
}

/** A run is done when it has a record without error (failed runs are tried again). */
export function isDone(record: RunRecord | undefined): record is RunRecord {
  return record !== undefined && record.error === undefined;
}

/** Records of the plan's runs that have one, in plan order. */
export function readRecords(dir: string, runs: readonly PlannedRun[]): Map<string, RunRecord> {
  const out = new Map<string, RunRecord>();
  for (const r of runs) {
    const rec = readRecord(dir, r.id);
    if (rec) out.set(r.id, rec);
  }
  return out;
}
