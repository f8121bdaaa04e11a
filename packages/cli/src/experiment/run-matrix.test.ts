import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { computeMetrics, UsageError } from '@restorelab/core';
import { readArrowLog } from './arrow-log-sandbox';
import { mergeShards } from './merge-shards';
import { MatrixProgress } from './matrix-progress';
import { readPlan, readRecord, RunRecord } from './output-dir';
import { MatrixOptions, runLabel, runMatrix, UnavailableBackend } from './run-matrix';
import { shardRuns } from './shard';

// The simulator runs go to worker threads that load the compiled worker: run `npx tsc -b` first.
const QUICK = path.resolve(__dirname, '../../../../examples/quick.yaml');
const QUICK_RUNS = 16;
// sim and the plugin backend lab (the simulator under another name), 4 runs each
const LAB = path.resolve(__dirname, '__fixtures__/lab.yaml');
const LAB_PLUGIN = path.resolve(__dirname, '__fixtures__/lab-backend.js');
const LAB_REASON = 'no lab bench attached (test fixture)';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-matrix-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

class RecordingProgress implements MatrixProgress {
  total = -1;
  before = -1;
  finished: string[] = [];
  constructor(private readonly onRun?: (n: number) => void) {}
  start(total: number, done: number): void {
    this.total = total;
    this.before = done;
  }
  runFinished(label: string, outcome: string): void {
    this.finished.push(`${outcome} ${label}`);
    this.onRun?.(this.finished.length);
  }
  stop(): void {}
}

function records(dir: string): RunRecord[] {
  return readPlan(dir)
    .runs.map((r) => readRecord(dir, r.id))
    .filter((r): r is RunRecord => r !== undefined);
}

function leftovers(dir: string): string[] {
  return ['runs', 'logs'].flatMap((d) => fs.readdirSync(path.join(dir, d)).filter((f) => f.includes('.tmp-')));
}

describe('restorelab matrix on examples/quick.yaml', () => {
  let full: string;

  it('runs every run on worker threads and writes results, Arrow logs and the report', async () => {
    full = path.join(tmp, 'full');
    const progress = new RecordingProgress();
    const outcome = await runMatrix({ file: QUICK, out: full, jobs: 2, progress });
    expect(outcome).toMatchObject({ name: 'quick', planned: QUICK_RUNS, inShard: QUICK_RUNS, skipped: 0, ran: QUICK_RUNS, interrupted: false });
    expect(outcome.failed).toEqual([]);
    expect(outcome.unverified).toEqual([]);
    expect(progress.total).toBe(QUICK_RUNS);
    expect(progress.finished).toHaveLength(QUICK_RUNS);

    const csv = fs.readFileSync(path.join(full, 'results.csv'), 'utf8').trimEnd().split('\n');
    const json = JSON.parse(fs.readFileSync(path.join(full, 'results.json'), 'utf8')) as Record<string, unknown>[];
    expect(csv).toHaveLength(QUICK_RUNS + 1);
    expect(json.map((r) => r.index)).toEqual([...Array(QUICK_RUNS).keys()]);
    expect(json.map((r) => r.run)).toEqual(readPlan(full).runs.map((r) => r.id));
    expect(fs.readdirSync(path.join(full, 'logs')).sort()).toEqual(json.map((r) => `${r.run}.arrow`).sort());
    expect(fs.statSync(path.join(full, 'report.html')).size).toBeGreaterThan(100_000);

    // every Arrow log holds every event of its run: the metrics recomputed from it are the row's
    for (const row of json) {
      const log = readArrowLog(path.join(full, row.log as string));
      expect(log.store.length).toBe(row.events);
      const m = computeMetrics(log.store);
      expect([m.demandFaults, m.stallNs, m.pagesCopied.prefetch]).toEqual([row.demandFaults, row.stallNs, row['pagesCopied.prefetch']]);
      expect(log.meta.strategy).toBe(row.strategy_spec);
      expect(log.meta.workload).toBe(row.workload_spec);
    }
    expect(leftovers(full)).toEqual([]);
  });

  it('resumes: a second invocation skips the runs that finished', async () => {
    const dir = path.join(tmp, 'resume');
    // an interrupted first invocation, simulated by running only some runs
    const first = await runMatrix({ file: QUICK, out: dir, jobs: 2, filter: (r) => r.index % 3 === 0, noReport: true });
    expect(first.ran).toBe(6);
    const before = new Map(records(dir).map((r) => [r.id, fs.statSync(path.join(dir, 'runs', `${r.id}.json`)).mtimeMs]));
    expect(before.size).toBe(6);
    expect(fs.readFileSync(path.join(dir, 'results.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(7);

    const progress = new RecordingProgress();
    const second = await runMatrix({ file: QUICK, out: dir, jobs: 2, progress });
    expect(second).toMatchObject({ skipped: 6, ran: QUICK_RUNS - 6, interrupted: false });
    expect(progress.before).toBe(6);
    expect(progress.finished).toHaveLength(QUICK_RUNS - 6);
    for (const [id, mtime] of before) expect(fs.statSync(path.join(dir, 'runs', `${id}.json`)).mtimeMs).toBe(mtime);
    expect(fs.readFileSync(path.join(dir, 'results.csv'), 'utf8')).toBe(fs.readFileSync(path.join(full, 'results.csv'), 'utf8'));

    const third = await runMatrix({ file: QUICK, out: dir, jobs: 2, noReport: true });
    expect(third).toMatchObject({ skipped: QUICK_RUNS, ran: 0 });
  });

  it('stops cleanly when aborted, keeping every finished run, and the same call resumes', async () => {
    const dir = path.join(tmp, 'abort');
    const controller = new AbortController();
    const progress = new RecordingProgress((n) => {
      if (n === 3) controller.abort();
    });
    const stopped = await runMatrix({ file: QUICK, out: dir, jobs: 2, signal: controller.signal, progress });
    expect(stopped.interrupted).toBe(true);
    const kept = records(dir);
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(kept.length).toBeLessThan(QUICK_RUNS);
    for (const r of kept) expect(fs.existsSync(path.join(dir, r.log!))).toBe(true);
    expect(leftovers(dir)).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'results.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(kept.length + 1);

    const resumed = await runMatrix({ file: QUICK, out: dir, jobs: 2, noReport: true });
    expect(resumed).toMatchObject({ skipped: kept.length, ran: QUICK_RUNS - kept.length, interrupted: false });
    expect(fs.readFileSync(path.join(dir, 'results.csv'), 'utf8')).toBe(fs.readFileSync(path.join(full, 'results.csv'), 'utf8'));
  });

  it('runs a links axis: a link column, the link in each log, the runs over a link slower with the same demand faults', async () => {
    const file = path.join(tmp, 'links.yaml');
    fs.writeFileSync(file, 'name: links\nbackends: [sim]\nworkloads: ["zipf:pages=512,accesses=2000"]\nstrategies: [demand-only, neighbor-prefetch]\nlinks: [none, "latency-us=200,bandwidth=1gbit"]\n');
    const dir = path.join(tmp, 'links-out');
    await runMatrix({ file, out: dir, jobs: 1, noReport: true });
    expect(fs.readFileSync(path.join(dir, 'results.csv'), 'utf8').split('\n')[0]).toMatch(/^run,index,backend,workload,strategy,repetition,seed,link,/);
    const rows = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as Record<string, string | number>[];
    expect(rows.map((r) => [r.strategy, r.link, r.verified])).toEqual([
      ['demand-only', 'none', true],
      ['demand-only', 'latency-us=200,bandwidth=1gbit,channels=2', true],
      ['neighbor-prefetch', 'none', true],
      ['neighbor-prefetch', 'latency-us=200,bandwidth=1gbit,channels=2', true],
    ]);
    expect(rows[1].demandFaults).toBe(rows[0].demandFaults);
    expect(Number(rows[1].stallNs)).toBeGreaterThan(Number(rows[0].stallNs) + Number(rows[1].demandFaults) * 400_000);
    const log = await readArrowLog(path.join(dir, String(rows[1].log)));
    expect(log.meta.backendInfo?.link).toBe('latency-us=200,bandwidth=1gbit,channels=2');
  });

  it('runs deterministic shards that merge into the rows of one run', async () => {
    const shards = [1, 2, 3].map((i) => path.join(tmp, `shard-${i}`));
    const sizes: number[] = [];
    for (const [i, dir] of shards.entries()) {
      const o = await runMatrix({ file: QUICK, out: dir, jobs: 2, shard: { index: i + 1, count: 3 }, noReport: true });
      sizes.push(o.inShard);
      expect(o.ran).toBe(o.inShard);
    }
    expect(sizes).toEqual([6, 5, 5]);
    const merged = mergeShards(shards, path.join(tmp, 'merged'), { report: false });
    expect(merged).toMatchObject({ planned: QUICK_RUNS, finished: QUICK_RUNS, missing: 0 });
    for (const f of ['results.csv', 'results.json'])
      expect(fs.readFileSync(path.join(merged.dir, f), 'utf8')).toBe(fs.readFileSync(path.join(full, f), 'utf8'));
    expect(fs.readdirSync(path.join(merged.dir, 'logs')).sort()).toEqual(fs.readdirSync(path.join(full, 'logs')).sort());

    const partial = mergeShards(shards.slice(0, 2), path.join(tmp, 'partial'), { report: false });
    expect(partial).toMatchObject({ finished: 11, missing: 5 });
  });

  it('refuses to merge directories of different experiments', async () => {
    const other = path.join(tmp, 'other.yaml');
    fs.writeFileSync(other, 'backends: [sim]\nworkloads: ["seq:pages=64"]\nstrategies: [demand-only]\n');
    const dir = path.join(tmp, 'other');
    await runMatrix({ file: other, out: dir, jobs: 1, noReport: true });
    expect(() => mergeShards([full, dir], path.join(tmp, 'bad-merge'))).toThrow(UsageError);
    expect(() => mergeShards([path.join(tmp, 'nothing-here')], path.join(tmp, 'bad-merge'))).toThrow(/is not a matrix output directory/);
  });

  it("gives the workers the experiment's cost model, and makes its runs other runs", async () => {
    const exp = path.join(tmp, 'costly.yaml');
    fs.writeFileSync(exp, 'backends: [sim]\nworkloads: ["seq:pages=64,vmas=1"]\nstrategies: [demand-only]\ncostModel: slow.json\n');
    fs.writeFileSync(path.join(tmp, 'slow.json'), JSON.stringify({ _comment: 'test', faultOverheadNs: 1e6 }));
    const slow = path.join(tmp, 'costly-slow');
    await runMatrix({ file: exp, out: slow, jobs: 1, noReport: true });
    const normal = path.join(tmp, 'costly-default');
    fs.writeFileSync(path.join(tmp, 'default.json'), '{}');
    await runMatrix({ file: exp, out: normal, jobs: 1, noReport: true, costModelFile: path.join(tmp, 'default.json') });
    const [a] = records(slow);
    const [b] = records(normal);
    expect(a.id).not.toBe(b.id);
    expect(a.metrics!.demandFaults).toBe(64);
    expect(a.metrics!.stallNs).toBeGreaterThanOrEqual(64 * 1e6);
    expect(b.metrics!.stallNs).toBeLessThan(64 * 1e6);
  });

  it('stops at the first run that fails on a user mistake, with that mistake', async () => {
    const bad = path.join(tmp, 'bad.yaml');
    // vmas > pages is only found when the workload is generated, in a worker
    fs.writeFileSync(bad, 'backends: [sim]\nworkloads: ["seq:pages=4,vmas=8"]\nstrategies: [demand-only]\n');
    await expect(runMatrix({ file: bad, out: path.join(tmp, 'bad'), jobs: 1 })).rejects.toThrow(
      /^sim seq:pages=4,vmas=8 demand-only #1: workload seq: parameter 'vmas' \(8\) must not exceed 'pages' \(4\)$/,
    );
  });
});

/** Runs `body` while the fixture backend lab reports itself unavailable with LAB_REASON. */
async function withLabUnavailable<T>(body: () => Promise<T>): Promise<T> {
  process.env.RESTORELAB_FIXTURE_LAB_UNAVAILABLE = LAB_REASON;
  try {
    return await body();
  } finally {
    delete process.env.RESTORELAB_FIXTURE_LAB_UNAVAILABLE;
  }
}

function csvRows(dir: string): string[] {
  return fs.readFileSync(path.join(dir, 'results.csv'), 'utf8').trimEnd().split('\n').slice(1);
}

describe('restorelab matrix with a backend that is not available here', () => {
  const lab = (opts: Partial<MatrixOptions> & { out: string }) =>
    runMatrix({ file: LAB, jobs: 2, plugins: [LAB_PLUGIN], noReport: true, ...opts });
  let complete: string;

  it('refuses to start without skipUnavailable, naming the reason and the option, and writes nothing', async () => {
    const dir = path.join(tmp, 'lab-refused');
    await expect(withLabUnavailable(() => lab({ out: dir }))).rejects.toThrow(
      new Error(`backend lab is not available here: ${LAB_REASON} (the experiment needs it; --skip-unavailable runs the rest)`),
    );
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('with skipUnavailable runs the other backends, records none of its runs, and a later invocation runs exactly those', async () => {
    complete = path.join(tmp, 'lab-skipped');
    const skips: UnavailableBackend[] = [];
    const progress = new RecordingProgress();
    const first = await withLabUnavailable(() =>
      lab({ out: complete, skipUnavailable: true, onSkip: (s) => skips.push(s), progress, noReport: false }),
    );
    expect(skips).toEqual([{ backend: 'lab', runs: 4, reason: LAB_REASON }]);
    expect(first).toMatchObject({ planned: 8, inShard: 8, skipped: 0, ran: 4, unavailable: skips, interrupted: false });
    expect(first.failed).toEqual([]);
    expect([progress.total, progress.before]).toEqual([4, 0]);

    const plan = readPlan(complete).runs;
    const [simRuns, labRuns] = [plan.filter((r) => r.backend === 'sim'), plan.filter((r) => r.backend === 'lab')];
    expect(progress.finished.sort()).toEqual(simRuns.map((r) => `ok ${runLabel(r)}`).sort());
    expect(records(complete).map((r) => r.id)).toEqual(simRuns.map((r) => r.id));
    expect(fs.readdirSync(path.join(complete, 'runs'))).toHaveLength(4);
    expect(fs.readdirSync(path.join(complete, 'logs'))).toHaveLength(4);
    expect(csvRows(complete).map((row) => row.split(',')[0])).toEqual(simRuns.map((r) => r.id));
    const json = JSON.parse(fs.readFileSync(path.join(complete, 'results.json'), 'utf8')) as Record<string, unknown>[];
    expect(json.map((r) => r.backend)).toEqual(['sim', 'sim', 'sim', 'sim']);
    const report = fs.readFileSync(path.join(complete, 'report.html'), 'utf8');
    expect(simRuns.every((r) => report.includes(r.id))).toBe(true);
    expect(labRuns.some((r) => report.includes(r.id))).toBe(false);

    const simMtimes = simRuns.map((r) => fs.statSync(path.join(complete, 'runs', `${r.id}.json`)).mtimeMs);
    const later = new RecordingProgress();
    const second = await lab({ out: complete, progress: later });
    expect(second).toMatchObject({ skipped: 4, ran: 4, unavailable: [] });
    expect([later.total, later.before]).toEqual([8, 4]);
    expect(later.finished.sort()).toEqual(labRuns.map((r) => `ok ${runLabel(r)}`).sort());
    expect(simRuns.map((r) => fs.statSync(path.join(complete, 'runs', `${r.id}.json`)).mtimeMs)).toEqual(simMtimes);
    expect(csvRows(complete).map((row) => row.split(',')[0])).toEqual(plan.map((r) => r.id));
  });

  it('shards the whole run list, so each shard skips its own slice and they merge once the backend is back', async () => {
    const plan = readPlan(complete).runs;
    const shards = [1, 2, 3].map((index) => ({ index, count: 3, dir: path.join(tmp, `lab-shard-${index}`) }));
    for (const shard of shards) {
      const slice = shardRuns(plan, shard);
      const [simIds, labIds] = ['sim', 'lab'].map((b) => slice.filter((r) => r.backend === b).map((r) => r.id));
      const o = await withLabUnavailable(() => lab({ out: shard.dir, shard, skipUnavailable: true }));
      expect(o).toMatchObject({ inShard: slice.length, ran: simIds.length, unavailable: [{ backend: 'lab', runs: labIds.length, reason: LAB_REASON }] });
      expect(records(shard.dir).map((r) => r.id)).toEqual(simIds);
    }
    expect(shards.map((s) => shardRuns(plan, s).length)).toEqual([3, 3, 2]);
    expect(mergeShards(shards.map((s) => s.dir), path.join(tmp, 'lab-merged-early'), { report: false })).toMatchObject({ finished: 4, missing: 4 });

    for (const shard of shards) {
      const o = await lab({ out: shard.dir, shard });
      expect(o.ran).toBe(shardRuns(plan, shard).filter((r) => r.backend === 'lab').length);
    }
    const merged = mergeShards(shards.map((s) => s.dir), path.join(tmp, 'lab-merged'), { report: false });
    expect(merged).toMatchObject({ planned: 8, finished: 8, missing: 0 });
    expect(fs.readFileSync(path.join(merged.dir, 'results.csv'), 'utf8')).toBe(fs.readFileSync(path.join(complete, 'results.csv'), 'utf8'));
  });
});
