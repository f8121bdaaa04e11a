import { UsageError } from '@restorelab/core';
import { parseShard, shardRuns } from './shard';

describe('shards', () => {
  const runs = Array.from({ length: 23 }, (_, index) => ({ index, id: `r${index}` }));

  it.each([1, 2, 3, 5, 23, 40])('%i shards partition the runs: disjoint, together the whole, in order', (n) => {
    const slices = Array.from({ length: n }, (_, i) => shardRuns(runs, { index: i + 1, count: n }));
    const all = slices.flat();
    expect(all).toHaveLength(runs.length);
    expect(new Set(all.map((r) => r.id)).size).toBe(runs.length);
    for (const s of slices) expect(s.map((r) => r.index)).toEqual([...s.map((r) => r.index)].sort((a, b) => a - b));
    const sizes = slices.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('is deterministic and round robin', () => {
    expect(shardRuns(runs, { index: 2, count: 4 }).map((r) => r.index)).toEqual([1, 5, 9, 13, 17, 21]);
    expect(shardRuns(runs, undefined)).toEqual(runs);
  });

  it('parses I/N and rejects the rest in one line', () => {
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/2', '3/2', '1/0', '2', 'a/b', '1/2/3', '-1/2']) {
      expect(() => parseShard(bad)).toThrow(UsageError);
    }
    expect(() => parseShard('3/2')).toThrow('--shard 3/2: expected 1 <= I <= N');
  });

  it('takes auto from a Slurm job array or a Kubernetes Indexed Job', () => {
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ index: 1, count: 4 });
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ index: 3, count: 4 });
    expect(parseShard('auto/3', { JOB_COMPLETION_INDEX: '2' })).toEqual({ index: 3, count: 3 });
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '2' })).toThrow(/does not say its completions: give them, --shard auto\/N/);
    expect(() => parseShard('auto', {})).toThrow(/neither SLURM_ARRAY_TASK_ID .* nor JOB_COMPLETION_INDEX/);
    expect(() => parseShard('auto/2', { JOB_COMPLETION_INDEX: '2' })).toThrow('--shard auto/2: the environment gives shard 3 of 2');
    expect(() => parseShard('auto', { SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '2' })).toThrow("SLURM_ARRAY_TASK_ID is 'x'");
  });
});
