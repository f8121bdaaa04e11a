import { UsageError } from '@restorelab/core';
import { ExperimentFile } from './experiment-file';
import { countRuns, DEFAULT_MAX_RUNS, expandExperiment, ExperimentRegistries, runId } from './expand-experiment';
import { gridAxes, gridPoints } from './grid';
import { registriesOf, simContainer } from './__fixtures__/sim-container';

let reg: ExperimentRegistries;
beforeAll(async () => {
  reg = registriesOf(await simContainer());
});

const base: ExperimentFile = {
  backends: ['sim'],
  workloads: [{ name: 'zipf', params: { pages: 256, accesses: 500, theta: [0.5, 0.99] } }, 'seq:pages=128'],
  strategies: [
    'demand-only',
    { stack: 'thp-guard,neighbor-prefetch:direction=both', params: { 'neighbor-prefetch': { window: [4, 16] } } },
  ],
  repetitions: 2,
  seed: 10,
};

function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('grid', () => {
  it('is the cartesian product, last axis fastest', () => {
    const points = gridPoints(gridAxes({ a: [1, 2], b: 'x', c: [true, false] }));
    expect(points.map((p) => p.map(([k, v]) => `${k}=${v}`).join(','))).toEqual([
      'a=1,b=x,c=true',
      'a=1,b=x,c=false',
      'a=2,b=x,c=true',
      'a=2,b=x,c=false',
    ]);
    expect(gridPoints([])).toEqual([[]]);
  });
});

describe('expandExperiment', () => {
  it('expands workloads x strategies x backends x repetitions in that order', () => {
    const runs = expandExperiment(base, reg);
    // (2 zipf points + 1 seq) x (1 + 2 strategy points) x 1 backend x 2 repetitions
    expect(runs).toHaveLength(3 * 3 * 2);
    expect(runs.map((r) => r.index)).toEqual(runs.map((_, i) => i));
    const key = (r: (typeof runs)[number]) => `${r.workload.label} | ${r.strategy.label} | ${r.repetition}`;
    expect(runs.slice(0, 7).map(key)).toEqual([
      'zipf theta=0.5 | demand-only | 0',
      'zipf theta=0.5 | demand-only | 1',
      'zipf theta=0.5 | thp-guard,neighbor-prefetch:direction=both,window=4 | 0',
      'zipf theta=0.5 | thp-guard,neighbor-prefetch:direction=both,window=4 | 1',
      'zipf theta=0.5 | thp-guard,neighbor-prefetch:direction=both,window=16 | 0',
      'zipf theta=0.5 | thp-guard,neighbor-prefetch:direction=both,window=16 | 1',
      'zipf theta=0.99 | demand-only | 0',
    ]);
    expect(key(runs[17])).toBe('seq:pages=128 | thp-guard,neighbor-prefetch:direction=both,window=16 | 1');
  });

  it('gives repetition r the seed base + r, for the backend and the workload', () => {
    const runs = expandExperiment(base, reg);
    expect(runs[0].seed).toBe(10);
    expect(runs[1].seed).toBe(11);
    expect(runs[0].workload.params.seed).toBe(10);
    expect(runs[1].workload.params.seed).toBe(11);
    expect(runs[0].workload.spec).toMatch(/^zipf:pages=256,accesses=500,.*theta=0\.5,seed=10$/);
  });

  it('keeps a seed the workload sets for every repetition', () => {
    const runs = expandExperiment({ ...base, workloads: ['seq:pages=64,seed=7'] }, reg);
    expect(new Set(runs.map((r) => r.workload.params.seed))).toEqual(new Set([7]));
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
  });

  it('resolves every strategy parameter and keeps the stack order', () => {
    const r = expandExperiment(base, reg)[2];
    expect(r.strategy.spec).toBe('thp-guard,neighbor-prefetch:direction=both,window=4');
    expect(r.strategy.params['neighbor-prefetch']).toEqual({ window: 4, direction: 'both' });
    expect(Object.keys(r.strategy.params)).toEqual(['thp-guard', 'neighbor-prefetch']);
    expect(r.strategy.canonical).toBe(`thp-guard,neighbor-prefetch:window=4,direction=both`);
  });

  it('derives ids from what determines a run only', () => {
    const a = expandExperiment(base, reg);
    const b = expandExperiment({ ...base, name: 'renamed', strategies: [...base.strategies].reverse() }, reg);
    expect(new Set(a.map((r) => r.id))).toEqual(new Set(b.map((r) => r.id)));
    expect(new Set(a.map((r) => r.id)).size).toBe(a.length);
    expect(a[0].id).toBe(runId('sim', a[0].workload.spec, 'demand-only', 10));
    expect(a[0].id).toMatch(/^[0-9a-f]{12}$/);
    // a default spelled out is the same run; another cost model is another run
    const spelled = expandExperiment({ ...base, strategies: ['demand-only', 'neighbor-prefetch:window=8'] }, reg);
    const implicit = expandExperiment({ ...base, strategies: ['demand-only', 'neighbor-prefetch'] }, reg);
    expect(spelled.map((r) => r.id)).toEqual(implicit.map((r) => r.id));
    expect(expandExperiment(base, reg, { simCostModel: '{"x":1}' })[0].id).not.toBe(a[0].id);
  });

  it.each<[Partial<ExperimentFile>, string]>([
    [{ backends: ['sim', 'nope'] }, "experiment: backends[1]: unknown backend 'nope'"],
    [{ workloads: [{ name: 'zipff' }] }, "experiment: workloads[0].name: unknown workload 'zipff' (known: "],
    [{ workloads: ['zipf:pages=x'] }, "experiment: workloads[0]: workload zipf: parameter 'pages' must be an integer, got 'x'"],
    [{ workloads: [{ name: 'zipf', params: { thta: 1 } }] }, "experiment: workloads[0].params.thta: workload zipf has no parameter 'thta'"],
    [{ workloads: [{ name: 'zipf', params: { theta: [1, 'hot'] } }] }, "experiment: workloads[0] (grid point 2): workload zipf: parameter 'theta' must be a number, got 'hot'"],
    [{ strategies: ['demand-only,nope'] }, "experiment: strategies[0]: unknown strategy 'nope'"],
    [{ strategies: [{ stack: 'eager,eager' }] }, "experiment: strategies[0].stack: strategy 'eager' appears twice"],
    [{ strategies: [{ stack: 'eager', params: { 'neighbor-prefetch': { window: 2 } } }] }, "experiment: strategies[0].params.neighbor-prefetch: 'neighbor-prefetch' is not in the stack 'eager'"],
    [{ strategies: [{ stack: 'neighbor-prefetch', params: { 'neighbor-prefetch': { widow: 2 } } }] }, "experiment: strategies[0].params.neighbor-prefetch.widow: strategy neighbor-prefetch has no parameter 'widow' (known: window, direction)"],
    [{ strategies: [{ stack: 'neighbor-prefetch:window=2', params: { 'neighbor-prefetch': { window: 3 } } }] }, "experiment: strategies[0].params.neighbor-prefetch.window: also set in the stack 'neighbor-prefetch:window=2'"],
    [{ strategies: [{ stack: 'neighbor-prefetch', params: { 'neighbor-prefetch': { window: [0, 2] } } }] }, "experiment: strategies[0].params.neighbor-prefetch: strategy neighbor-prefetch: parameter 'window' must be >= 1, got 0"],
    [{ strategies: ['demand-only', 'demand-only'] }, 'experiment: strategies[1]: strategy label'],
    [{ strategies: [{ stack: 'eager', label: 'x' }, { stack: 'demand-only', label: 'x' }] }, "experiment: strategies[1]: strategy label 'x' is also the label of strategies[0]"],
    [{ strategies: ['neighbor-prefetch', 'neighbor-prefetch:window=8'] }, 'experiment: workloads[0] (grid point 1) x strategies[1]: repeats the runs of workloads[0] (grid point 1) x strategies[0]'],
  ])('rejects mistakes with one line naming the key (%#)', (change, expected) => {
    expect(usageMessage(() => expandExperiment({ ...base, ...change }, reg))).toContain(expected);
  });
});

describe('the run count of an experiment', () => {
  it('is counted from the grids alone and matches the expansion', () => {
    expect(countRuns(base)).toBe(expandExperiment(base, reg).length);
    expect(countRuns({ ...base, backends: ['sim', 'linux'], repetitions: 3 })).toBe(3 * 3 * 2 * 3);
  });

  it('sweeps links like any other axis: after the strategies, before the backends; local runs keep their ids', () => {
    const exp: ExperimentFile = {
      ...base,
      workloads: ['seq:pages=128'],
      strategies: ['demand-only'],
      repetitions: 1,
      links: ['none', { latencyUs: [100, 200], bandwidth: '1gbit', channels: [1, 2] }, 'latency-us=50'],
    };
    const runs = expandExperiment(exp, reg);
    expect(countRuns(exp)).toBe(runs.length);
    expect(runs.map((r) => r.link?.spec ?? 'none')).toEqual([
      'none',
      'latency-us=100,bandwidth=1gbit,channels=1',
      'latency-us=100,bandwidth=1gbit,channels=2',
      'latency-us=200,bandwidth=1gbit,channels=1',
      'latency-us=200,bandwidth=1gbit,channels=2',
      'latency-us=50,bandwidth=off,channels=2',
    ]);
    expect(runs.map((r) => r.workload.label)).toEqual([
      'seq:pages=128',
      'seq:pages=128 · latency-us=100,bandwidth=1gbit,channels=1',
      'seq:pages=128 · latency-us=100,bandwidth=1gbit,channels=2',
      'seq:pages=128 · latency-us=200,bandwidth=1gbit,channels=1',
      'seq:pages=128 · latency-us=200,bandwidth=1gbit,channels=2',
      'seq:pages=128 · latency-us=50',
    ]);
    expect(new Set(runs.map((r) => r.id)).size).toBe(6);
    const local = expandExperiment({ ...exp, links: undefined }, reg);
    expect(local.map((r) => r.id)).toEqual([runs[0].id]);
    expect(usageMessage(() => expandExperiment({ ...exp, links: ['latency-us=fast'] }, reg))).toMatch(/^experiment: links\[0\]: bad link 'latency-us=fast'/);
    expect(usageMessage(() => expandExperiment({ ...exp, links: ['none', 'none'] }, reg))).toMatch(/^experiment: workloads\[0\] x strategies\[0\] x links\[1\]: repeats the runs of/);
  });

  it('sweeps copy engines after the links; copy runs keep their ids', () => {
    const exp: ExperimentFile = { ...base, workloads: ['seq:pages=128'], strategies: ['eager'], repetitions: 1, copyEngines: ['copy', 'continue', 'move'] };
    const runs = expandExperiment(exp, reg);
    expect(countRuns(exp)).toBe(runs.length);
    expect(runs.map((r) => r.copyEngine)).toEqual(['copy', 'continue', 'move']);
    expect(runs.map((r) => r.workload.label)).toEqual(['seq:pages=128 · copy', 'seq:pages=128 · continue', 'seq:pages=128 · move']);
    expect(new Set(runs.map((r) => r.id)).size).toBe(3);
    expect(expandExperiment({ ...exp, copyEngines: undefined }, reg).map((r) => r.id)).toEqual([runs[0].id]);
    const linked = expandExperiment({ ...exp, links: ['none', 'latency-us=50'], copyEngines: ['continue'] }, reg);
    expect(linked.map((r) => r.workload.label)).toEqual(['seq:pages=128 · continue', 'seq:pages=128 · latency-us=50 · continue']);
  });

  it('refuses a grid past the limit before expanding it, with the count and the flag that raises it', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const huge: ExperimentFile = {
      ...base,
      workloads: [{ name: 'zipf', params: { pages: values, accesses: values, theta: 0.5 } }],
      strategies: [{ stack: 'neighbor-prefetch', params: { 'neighbor-prefetch': { window: values } } }],
      repetitions: 10000,
    };
    expect(countRuns(huge)).toBe(1e13);
    expect(usageMessage(() => expandExperiment(huge, reg, { source: 'experiment huge.yaml' }))).toBe(
      `experiment huge.yaml: expands to 10000000000000 runs, more than the limit of ${DEFAULT_MAX_RUNS} (raise it with --max-runs)`,
    );
    expect(usageMessage(() => expandExperiment(base, reg, { maxRuns: 17 }))).toMatch(/expands to 18 runs, more than the limit of 17/);
    expect(expandExperiment(base, reg, { maxRuns: 18 })).toHaveLength(18);
  });
});
