import * as fs from 'fs';
import * as path from 'path';
import { RunResult } from '@restorelab/core';
import { defaultCostModel } from '@restorelab/backend-sim';
import { specHash } from '../format/log-file-name';
import { cli, errLines, tempDir } from './cli';

const SMALL = 'zipf:pages=4096,accesses=20000';

describe('restorelab run and replay (e2e)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('e2e-run');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints exactly what replay recomputes from each log', async () => {
    const logDir = path.join(dir, 'logs');
    const run = await cli(['run', '--workload', SMALL, '--strategy', 'demand-only', '--strategy', 'eager', '--json', '--log-dir', logDir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const results = JSON.parse(run.stdout) as RunResult[];
    expect(results.map((r) => [r.backend, r.strategy, r.verified])).toEqual([
      ['sim', 'demand-only', true],
      ['sim', 'eager', true],
    ]);
    for (const r of results) expect(Object.keys(r).sort()).toEqual(['backend', 'log', 'metrics', 'strategy', 'verified', 'workload']);
    expect(results[0].workload).toMatch(/^zipf:pages=4096,accesses=20000,.*seed=1$/);
    const h = specHash(results[0].workload);
    expect(results.map((r) => r.log)).toEqual([path.join(logDir, `sim-zipf-${h}-demand-only-1.rlog`), path.join(logDir, `sim-zipf-${h}-eager-1.rlog`)]);
    // eager copies everything up front: no demand faults; demand-only faults on every page it touches
    expect(results[1].metrics.demandFaults).toBe(0);
    expect(results[0].metrics.demandFaults).toBe(results[0].metrics.pagesCopied.demand);
    expect(results[0].metrics.demandFaults).toBeGreaterThan(0);

    for (const r of results) {
      const replay = await cli(['replay', r.log!, '--json']);
      expect(replay.code).toBe(0);
      expect(JSON.parse(replay.stdout)).toEqual(r);
    }
    // a relative path names the same log
    const rel = await cli(['replay', path.relative(dir, results[0].log!), '--json'], { cwd: dir });
    expect(JSON.parse(rel.stdout)).toEqual(results[0]);
  });

  it('prints a comparison table with a header line, and replay prints the same row', async () => {
    const logDir = path.join(dir, 'table');
    const run = await cli(['run', '--workload', SMALL, '--strategy', 'demand-only', '--strategy', 'neighbor-prefetch', '--seed', '3', '--log-dir', logDir]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^backend sim · workload zipf:pages=4096,accesses=20000,.*seed=3 · seed 3$/);
    expect(lines[1]).toMatch(/^strategy\s+faults\s+stall ms\s+p50 us\s+p99 us\s+restore ms\s+workload ms\s+down ms\s+sent MiB\s+demand\s+prefetch\s+precopy\s+backgr\s+accuracy\s+coverage\s+late\s+decide p50 us\s+decide p99 us\s+dups\s+PSS MiB\s+failed\s+verified$/);
    expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(['demand-only', 'neighbor-prefetch']);
    expect(lines.slice(2).every((l) => l.endsWith('✓'))).toBe(true);

    const [log] = fs.readdirSync(logDir).filter((f) => /^sim-zipf-[0-9a-f]{8}-neighbor-prefetch-3\.rlog$/.test(f));
    const replay = await cli(['replay', path.join(logDir, log)]);
    expect(replay.code).toBe(0);
    const replayLines = replay.stdout.trimEnd().split('\n');
    const cells = (l: string) => l.split(/\s{2,}/).map((c) => c.trim());
    expect(replayLines).toHaveLength(3);
    expect(replayLines[0]).toBe(lines[0]);
    expect(cells(replayLines[1])).toEqual(cells(lines[1]));
    expect(cells(replayLines[2])).toEqual(cells(lines[3]));
  });

  it('compares the default set of strategies when none is named', async () => {
    const [list, run] = await Promise.all([cli(['strategies', '--json']), cli(['run', '--workload', SMALL, '--json'])]);
    expect(run.code).toBe(0);
    const names = (JSON.parse(list.stdout) as { name: string }[]).map((s) => s.name);
    const ran = (JSON.parse(run.stdout) as RunResult[]).map((r) => r.strategy);
    expect(ran.length).toBeGreaterThanOrEqual(4);
    expect(ran).toEqual(names.filter((n) => ran.includes(n)));
    expect(ran).toEqual(expect.arrayContaining(['demand-only', 'eager', 'neighbor-prefetch']));
    // a single process without huge pages: the THP guard has nothing to guard
    expect(ran).not.toContain('thp-guard');
  });

  it('runs the simulator with the cost model of --cost-model', async () => {
    const model = path.join(dir, 'slow-faults.json');
    fs.writeFileSync(model, JSON.stringify({ _why: 'faults 40 us slower', faultOverheadNs: defaultCostModel.faultOverheadNs + 40_000 }));
    const args = ['run', '--workload', SMALL, '--strategy', 'demand-only', '--json'];
    const [base, slow] = await Promise.all([cli(args), cli([...args, '--cost-model', model])]);
    const [b] = JSON.parse(base.stdout) as RunResult[];
    const [s] = JSON.parse(slow.stdout) as RunResult[];
    expect(s.metrics.demandFaults).toBe(b.metrics.demandFaults);
    expect(s.metrics.faultLatencyNs.p50 - b.metrics.faultLatencyNs.p50).toBe(40_000);

    fs.writeFileSync(model, JSON.stringify({ faultOverhead: 1 }));
    const bad = await cli([...args, '--cost-model', model]);
    expect(bad.code).toBe(2);
    expect(errLines(bad)).toEqual([expect.stringMatching(/^restorelab: cost model .*slow-faults\.json: unknown key 'faultOverhead'/)]);
  });

  it('exits 1 after printing when a run does not verify, with one reason line per failed run', async () => {
    const run = await cli(['run', '--workload', 'thp-predump:pages=1024', '--strategy', 'demand-only', '--strategy', 'thp-guard', '--json']);
    expect(run.code).toBe(1);
    const results = JSON.parse(run.stdout) as RunResult[];
    expect(results.map((r) => [r.strategy, r.verified])).toEqual([
      ['demand-only', false],
      ['thp-guard', true],
    ]);
    expect(errLines(run)).toEqual([
      expect.stringMatching(/^demand-only: \d+ pages differ from the image \(first at pid \d+ page \d+\)$/),
    ]);
    expect(errLines(run)[0]).toContain(`${results[0].metrics.mismatchedPages} pages differ`);
  });

  it('never overwrites a log without --force, and --repeat runs each stack again under its own name', async () => {
    const logDir = path.join(tempDir('e2e-logs'), 'logs');
    try {
      const args = ['run', '--workload', 'zipf:pages=256,accesses=500', '--strategy', 'eager', '--log-dir', logDir, '--json'];
      const first = await cli(args);
      expect(first.code).toBe(0);
      const [r] = JSON.parse(first.stdout) as RunResult[];
      const again = await cli(args);
      expect(again.code).toBe(2);
      expect(errLines(again)).toEqual([`restorelab: log ${r.log} exists (a run of the same backend, workload, stack and seed): --force overwrites, or choose another --log-dir`]);
      expect((await cli([...args, '--force'])).code).toBe(0);
      const other = await cli(['run', '--workload', 'zipf:pages=512,accesses=500', '--strategy', 'eager', '--log-dir', logDir, '--json']);
      expect(other.code).toBe(0);
      const repeated = await cli([...args, '--repeat', '3']);
      expect(repeated.code).toBe(0);
      const rows = JSON.parse(repeated.stdout) as RunResult[];
      expect(rows.map((x) => path.basename(x.log!))).toEqual([1, 2, 3].map((k) => path.basename(r.log!).replace(/\.rlog$/, `-r${k}.rlog`)));
      expect(fs.readdirSync(logDir)).toHaveLength(5);
      expect((await cli([...args, '--repeat', '0'])).stderr).toMatch(/^restorelab: --repeat must be an integer from 1 to 1000, got 0$/m);
    } finally {
      fs.rmSync(path.dirname(logDir), { recursive: true, force: true });
    }
  });
});
