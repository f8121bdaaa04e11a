import { UsageError } from '@restorelab/core';

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--shard auto: ${name} is '${v}', not a non-negative integer`);
  return Number(v);
}

/**
 * `auto` or `auto/N`: the shard from the job engine's environment. A Slurm job array gives its
 * task (SLURM_ARRAY_TASK_ID, from SLURM_ARRAY_TASK_MIN, default 0) and SLURM_ARRAY_TASK_COUNT; a
 * Kubernetes Indexed Job gives JOB_COMPLETION_INDEX (from 0) and the count is N.
 */
function autoShard(text: string, env: NodeJS.ProcessEnv): Shard {
  const given = /^auto\/(\d+)$/.exec(text)?.[1];
  const slurm = envInt(env, 'SLURM_ARRAY_TASK_ID');
  const k8s = envInt(env, 'JOB_COMPLETION_INDEX');
  let index: number;
  let count: number | undefined = given !== undefined ? Number(given) : undefined;
  if (slurm !== undefined) {
    index = slurm - (envInt(env, 'SLURM_ARRAY_TASK_MIN') ?? 0) + 1;
    count ??= envInt(env, 'SLURM_ARRAY_TASK_COUNT');
    if (count === undefined) throw new UsageError('--shard auto: SLURM_ARRAY_TASK_COUNT is not set (give the count: --shard auto/N)');
  } else if (k8s !== undefined) {
    index = k8s + 1;
    if (count === undefined) throw new UsageError('--shard auto: a Kubernetes Indexed Job does not say its completions: give them, --shard auto/N');
  } else {
    throw new UsageError('--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set');
  }
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${text}: the environment gives shard ${index} of ${count}`);
  return { index, count };
}

/** Parses `I/N` (1 <= I <= N), or `auto` / `auto/N` from a job array's environment. */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  if (text === 'auto' || text.startsWith('auto/')) return autoShard(text, env);
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`--shard must be I/N (e.g. 2/8) or auto, got '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${text}: expected 1 <= I <= N`);
  return { index, count };
}

/**
 * The runs of one shard: round robin over the expansion order (run k goes to shard k mod N + 1),
 * so every shard gets a mix of workloads and strategies and the shards together are the whole.
 */
export function shardRuns<T extends { readonly index: number }>(runs: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...runs];
  return runs.filter((r) => r.index % shard.count === shard.index - 1);
}
