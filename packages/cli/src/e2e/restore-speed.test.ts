import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { linuxUnavailableReason } from '@restorelab/backend-linux';
import { cli, errLines } from './cli';

/** run --profile, the pages cache, node's own memory in a large restore, bench restore. */
const skip = linuxUnavailableReason();
if (skip) console.warn(`restore speed tests skipped: ${skip}`);
const linuxIt = skip ? it.skip : it;

const caches: string[] = [];
function cacheDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-pages-cache-test-'));
  caches.push(d);
  return d;
}
afterAll(() => caches.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** The first column of the profile table, from its header to the whole command. */
function phaseNames(stdout: string): string[] {
  const lines = stdout.split('\n');
  const from = lines.findIndex((l) => l.startsWith('phase '));
  return lines.slice(from + 1).filter((l) => l.trim() !== '').map((l) => /^( *\S.*?)(?: {2,}|$)/.exec(l)![1]);
}

describe('where a restore\'s time goes (e2e)', () => {
  linuxIt('run --profile: the set-up, the log\'s phases and the rest, in order; the pages generated once, then from the cache', async () => {
    const env = { RESTORELAB_PAGES_CACHE: cacheDir() };
    const args = ['run', '--backend', 'linux', '--workload', 'seq:pages=8192', '--strategy', 'eager', '--profile'];
    const first = await cli(args, { env });
    expect(first.code).toBe(0);
    expect(phaseNames(first.stdout)).toEqual([
      'start-up (node, modules)',
      'container and backend',
      'workload generation',
      'run of eager',
      '  plan',
      '  run files',
      '  runner start and registration',
      '  precopy',
      '  until the workload starts',
      '  workload',
      '  verification',
      '  teardown',
      '  results, log and the rest',
      'whole command',
    ]);
    expect(first.stdout).toMatch(/^ {2}run files +[\d.]+ +pages: generated into the cache$/m);
    expect(first.stdout).toMatch(/^ {2}precopy +[\d.]+ +8192 pages in \d+ copy calls, [\d.]+ GB\/s$/m);
    expect(first.stdout).toMatch(/^whole command +[\d.]+ +[\d.]+x the restore$/m);
    const again = await cli(args, { env });
    expect(again.stdout).toMatch(/^ {2}run files +[\d.]+ +pages: the cache$/m);
    const off = await cli(args, { env: { RESTORELAB_PAGES_CACHE: 'off' } });
    expect(off.stdout).toMatch(/^ {2}run files +[\d.]+ +pages: generated into the run directory$/m);
  });

  linuxIt('run --profile --json: each result carries its phases; a lazy restore has no precopy phase', async () => {
    const r = await cli(['run', '--backend', 'linux', '--workload', 'seq:pages=2048', '--strategy', 'demand-only', '--profile', '--json']);
    expect(r.code).toBe(0);
    const [result] = JSON.parse(r.stdout) as { profile: { name: string; ms: number }[] }[];
    const names = result.profile.map((p) => p.name);
    expect(names).toEqual(['plan', 'run files', 'runner start and registration', 'until the workload starts', 'workload', 'verification', 'teardown', 'results, log and the rest']);
    for (const p of result.profile) expect(p.ms).toBeGreaterThanOrEqual(0);
  });

  it('run --profile on the simulator: its virtual time is not mixed with wall time', async () => {
    const r = await cli(['run', '--workload', 'seq:pages=1024', '--strategy', 'eager', '--profile']);
    expect(r.code).toBe(0);
    expect(phaseNames(r.stdout)).toEqual(['start-up (node, modules)', 'container and backend', 'workload generation', 'run of eager', '  plan', '  simulation, results and log', 'whole command']);
    expect(r.stdout).toMatch(/^run of eager +[\d.]+ +restore simulated$/m);
  });

  linuxIt('a 1 GiB eager restore: node itself never holds the image (peak RSS under 512 MiB), verified', async () => {
    const hwm = path.join(cacheDir(), 'hwm.js');
    const out = path.join(path.dirname(hwm), 'hwm.txt');
    fs.writeFileSync(hwm, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, /VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]));\n`);
    const r = await cli(['run', '--backend', 'linux', '--workload', 'seq:pages=262144,gapNs=0', '--strategy', 'eager', '--json'], { env: { NODE_OPTIONS: `--require ${hwm}` } });
    expect(r.code).toBe(0);
    const [result] = JSON.parse(r.stdout) as { verified: boolean; metrics: { pagesCopied: { precopy: number } } }[];
    expect(result.verified).toBe(true);
    expect(result.metrics.pagesCopied.precopy).toBe(262144);
    const peakKiB = Number(fs.readFileSync(out, 'utf8'));
    expect(peakKiB).toBeGreaterThan(0);
    expect(peakKiB).toBeLessThan(512 * 1024);
  });

  linuxIt('bench restore: the real eager restore against the C reference, ratios for each size', async () => {
    const r = await cli(['bench', 'restore', '--pages', '4096', '8192', '--repeat', '1', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, number | string>[];
    expect(rows.map((x) => (x.workload as string).split(',')[0])).toEqual(['seq:pages=4096', 'seq:pages=8192']);
    for (const row of rows) {
      for (const k of ['referenceGBps', 'restoreGBps', 'restoreMs', 'copyGBps', 'restoreRatio', 'copyRatio']) {
        expect(Number.isFinite(row[k])).toBe(true);
        expect(row[k]).toBeGreaterThan(0);
      }
      expect(row.restoreRatio).toBeCloseTo((row.restoreGBps as number) / (row.referenceGBps as number), 6);
    }
    const text = await cli(['bench', 'restore', '--pages', '4096', '--repeat', '1']);
    expect(text.stdout).toMatch(/^target: restore ratio >= 0\.9$/m);
  });

  it('a run loads neither Arrow, ajv nor yaml: those are for the commands that read and write experiments', async () => {
    const hook = path.join(cacheDir(), 'modules.js');
    const out = path.join(path.dirname(hook), 'modules.txt');
    fs.writeFileSync(hook, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, Object.keys(require.cache).join('\\n')));\n`);
    const r = await cli(['run', '--workload', 'seq:pages=64', '--strategy', 'eager'], { env: { NODE_OPTIONS: `--require ${hook}` } });
    expect(r.code).toBe(0);
    const loaded = fs.readFileSync(out, 'utf8').split('\n');
    expect(loaded.some((m) => m.includes(`${path.sep}rxjs${path.sep}`))).toBe(true);
    for (const heavy of ['apache-arrow', 'ajv', 'yaml']) expect(loaded.filter((m) => m.includes(`node_modules${path.sep}${heavy}${path.sep}`))).toEqual([]);
  });

  it('refuses a pages cache size that is not a number, in one line', async () => {
    const r = await cli(['run', '--backend', 'linux', '--workload', 'seq:pages=64', '--strategy', 'eager'], { env: { RESTORELAB_PAGES_CACHE_GIB: 'lots' } });
    expect(r.code).not.toBe(0);
    expect(errLines(r)).toEqual(['restorelab: RESTORELAB_PAGES_CACHE_GIB must be a number of GiB >= 0, got "lots"']);
  });
});
