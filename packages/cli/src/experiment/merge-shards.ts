import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '@restorelab/core';
import { ensureOutputDir, isDone, MatrixPlan, readPlan, readRecord, recordPath, writePlan } from './output-dir';
import { writeOutputs } from './write-outputs';

export interface MergeOutcome {
  readonly dir: string;
  readonly planned: number;
  /** Finished runs in the merged directory. */
  readonly finished: number;
  /** Runs of the plan that no shard finished. */
  readonly missing: number;
}

/**
 * Combines the output directories of shards of one experiment (same plan) into `out`: every
 * finished run's record and Arrow log, then results and report over all of them.
 */
export function mergeShards(dirs: readonly string[], out: string, opts: { report?: boolean } = {}): MergeOutcome {
  if (dirs.length === 0) throw new UsageError('merge: give at least one shard directory');
  const target = path.resolve(out);
  const plans = dirs.map((d) => ({ dir: path.resolve(d), plan: readPlan(d) }));
  const first = plans[0];
  for (const p of plans.slice(1)) {
    if (p.plan.fingerprint !== first.plan.fingerprint)
      throw new UsageError(`merge: ${p.dir} holds another experiment than ${first.dir} (plan ${p.plan.fingerprint} vs ${first.plan.fingerprint})`);
  }
  ensureOutputDir(target);
  const plan: MatrixPlan = first.plan;
  let finished = 0;
  for (const run of plan.runs) {
    const source = plans.find((p) => isDone(readRecord(p.dir, run.id)));
    if (source) {
      if (source.dir !== target) {
        const rec = readRecord(source.dir, run.id)!;
        if (rec.log) fs.copyFileSync(path.join(source.dir, rec.log), path.join(target, rec.log));
        fs.copyFileSync(recordPath(source.dir, run.id), recordPath(target, run.id));
      }
      finished++;
    } else if (isDone(readRecord(target, run.id))) finished++;
  }
  writePlan(target, plan);
  writeOutputs(target, plan, opts);
  return { dir: target, planned: plan.runs.length, finished, missing: plan.runs.length - finished };
}
