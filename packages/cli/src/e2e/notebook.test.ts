import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cli, tempDir } from './cli';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** The notebook path of docs/notebook.md, as printed: matrix, log-tables, the example's CDF. */
describe('logs for notebooks (e2e)', () => {
  const made: string[] = [];
  afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('matrix, then log-tables of its output directory, then the polars example draws each run\'s latency CDF', async () => {
    const base = tempDir('notebook');
    made.push(base);
    const out = path.join(base, 'quick');
    expect((await cli(['matrix', path.join(ROOT, 'examples', 'quick.yaml'), '--out', out, '--no-report'])).code).toBe(0);
    const tables = await cli(['log-tables', out, '--out', path.join(out, 'tables'), '--kind', 'FaultResolved', '--json']);
    expect(tables.code).toBe(0);
    const written = JSON.parse(tables.stdout) as { run: string; kind: string; rows: number; file: string }[];
    const results = fs.readFileSync(path.join(out, 'results.csv'), 'utf8').trim().split('\n');
    const header = results[0].split(',');
    const rows = results.slice(1).map((l) => l.split(','));
    const faulted = rows.filter((r) => Number(r[header.indexOf('demandFaults')]) > 0);
    expect(written.map((t) => t.run).sort()).toEqual(faulted.map((r) => r[header.indexOf('run')]).sort());
    for (const t of written) expect(fs.existsSync(t.file)).toBe(true);

    const example = spawnSync(process.execPath, [path.join(ROOT, 'examples', 'notebook', 'latency-cdf.mjs'), out], { encoding: 'utf8' });
    expect(example.stderr).toBe('');
    expect(example.status).toBe(0);
    const faults = written.reduce((n, t) => n + t.rows, 0);
    expect(example.stdout).toContain(`wrote ${path.join(out, 'latency-cdf.vl.json')} (${faults} faults from ${written.length} runs)`);
    const spec = JSON.parse(fs.readFileSync(path.join(out, 'latency-cdf.vl.json'), 'utf8')) as { data: { values: { run: string; us: number; fraction: number }[] } };
    const byRun = new Map<string, { us: number; fraction: number }[]>();
    for (const v of spec.data.values) byRun.set(v.run, [...(byRun.get(v.run) ?? []), v]);
    expect(byRun.size).toBe(written.length);
    for (const points of byRun.values()) {
      for (let i = 1; i < points.length; i++) {
        expect(points[i].us).toBeGreaterThanOrEqual(points[i - 1].us);
        expect(points[i].fraction).toBeGreaterThan(points[i - 1].fraction);
      }
      expect(points[points.length - 1].fraction).toBe(1);
    }
  });
});
