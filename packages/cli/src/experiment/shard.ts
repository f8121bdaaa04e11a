import { UsageError } from '@restorelab/core';

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parses `I/N` (1 <= I <= N). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`--shard must be I/N (e.g. 2/8), got '${text}'`);
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
