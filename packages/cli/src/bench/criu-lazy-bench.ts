import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '@restorelab/core';
import { sleep, until } from '../until';

/** The program dumped and restored: checks its memory in a loop and says how long its first scan after the restore took. */
export const CRIU_LAZY_TARGET_SOURCE = path.join(__dirname, '..', '..', 'assets', 'criu-lazy-target.c');

export const CRIU_LAZY_PROGRAMS = ['check', 'sum', 'sum32'] as const;
export type CriuLazyProgram = (typeof CRIU_LAZY_PROGRAMS)[number];

export interface CriuLazyBenchOptions {
  /** The criu binary. */
  readonly criu: string;
  /** This CLI's bin.js: `criu-lazy-pages` runs as its own process, as a user runs it. */
  readonly cli: string;
  readonly mib: number;
  readonly runs: number;
  /** One restore of ours per strategy per run. */
  readonly strategies: readonly string[];
  /**
   * check: every word against its value (bound by memory bandwidth); sum: a chained checksum per
   * page over 8-byte words (bound by the CPU); sum32: the same over 4-byte words (twice sum's steps).
   */
  readonly program: CriuLazyProgram;
}

export interface CriuLazyBenchRow {
  /** `criu lazy-pages` (the reference), or the strategy our daemon served with. */
  readonly daemon: string;
  /** Every lazy page present, ms after the first page served (CRIU's: first to last "Read" of its log). */
  readonly presentMs: number[];
  /** The restored program's own figure: from seeing the restore until it read every page once. */
  readonly firstScanMs: number[];
}

export interface CriuLazyBenchResult {
  readonly mib: number;
  readonly program: CriuLazyProgram;
  /** The program's full scans before the dump. */
  readonly warmMs: number[];
  readonly rows: CriuLazyBenchRow[];
}

export const CRIU_REFERENCE = 'criu lazy-pages';

/** Over the program's 100 ms (GAP_NS) between its dump and its first restore. */
const RESTORE_GAP_MS = 300;

function lastLine(text: string): string {
  return text.trim().split('\n').slice(-1)[0] ?? '';
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r(child.exitCode);
    else child.on('exit', (code) => r(code));
  });
}

/** CRIU's daemon log at -v3: seconds of its first and last "Read" line (a fault or a push). */
export function criuLogPresentMs(log: string): number {
  let first = -1;
  let last = -1;
  for (const line of log.split('\n')) {
    const m = /^\((\d+\.\d+)\) \S+ Read [0-9a-f]+ \d+ pages/.exec(line);
    if (!m) continue;
    const t = Number(m[1]);
    if (first < 0) first = t;
    last = t;
  }
  if (first < 0) throw new Error('bench criu-lazy-pages: criu lazy-pages logged no page it read');
  return (last - first) * 1000;
}

/** The restored program's first scan, from its output since the restore. */
export function firstScanMs(output: string): number | undefined {
  if (output.includes('mismatch')) throw new Error(`bench criu-lazy-pages: the restored program found a wrong word: ${lastLine(output)}`);
  const m = /restored-scan (\d+)/.exec(output);
  return m ? Number(m[1]) / 1e6 : undefined;
}

interface Dumped {
  readonly dir: string;
  readonly images: string;
  readonly out: string;
  /** The output file's size at the dump: criu restore wants it back, and the restored program writes from there. */
  readonly outSize: number;
  readonly pid: number;
  readonly warmMs: number[];
}

/**
 * CRIU's own daemon against ours on the same dump, restored over and over, the daemons interleaved
 * in every run (a busy moment of the machine hits both).
 */
export async function benchCriuLazy(opts: CriuLazyBenchOptions): Promise<CriuLazyBenchResult> {
  if (spawnSync(opts.criu, ['--version']).status !== 0) throw new UsageError(`cannot run criu at ${opts.criu} (give --criu PATH or set RESTORELAB_CRIU)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-bench-criu-'));
  let pid = 0;
  try {
    const exe = path.join(dir, 'criu-lazy-target');
    const cc = spawnSync('cc', ['-O2', '-pthread', '-o', exe, CRIU_LAZY_TARGET_SOURCE], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`bench criu-lazy-pages: cannot compile ${path.basename(CRIU_LAZY_TARGET_SOURCE)} with cc: ${lastLine(cc.stderr ?? String(cc.error))}`);
    const d = await dump(opts, exe, dir);
    pid = d.pid;
    const rows: CriuLazyBenchRow[] = [CRIU_REFERENCE, ...opts.strategies].map((daemon) => ({ daemon, presentMs: [], firstScanMs: [] }));
    for (let run = 0; run < opts.runs; run++) {
      for (const row of rows) {
        const r = await restoreOnce(opts, d, row.daemon);
        row.presentMs.push(r.presentMs);
        row.firstScanMs.push(r.firstScanMs);
      }
    }
    return { mib: opts.mib, program: opts.program, warmMs: d.warmMs, rows };
  } finally {
    if (pid > 0 && fs.existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function dump(opts: CriuLazyBenchOptions, exe: string, dir: string): Promise<Dumped> {
  const out = path.join(dir, 'target.out');
  const fd = fs.openSync(out, 'w');
  const args = [String(opts.mib), '1', ...(opts.program === 'check' ? [] : [opts.program])];
  // its own session, no pipe to us: a tree criu dumps with --shell-job and nothing external
  const child = spawn(exe, args, { detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const gone = exited(child);
  const text = await until('the program to scan its memory 5 times', () => {
    const t = fs.readFileSync(out, 'utf8');
    return (t.match(/ scan \d+/g) ?? []).length >= 5 ? t : undefined;
  }, 120_000);
  const pid = Number(/^ready (\d+)/.exec(text)?.[1]);
  const images = path.join(dir, 'images');
  fs.mkdirSync(images);
  const r = spawnSync(opts.criu, ['dump', '-t', String(pid), '-D', images, '--shell-job'], { encoding: 'utf8', input: '', timeout: 120_000 });
  if (r.status !== 0) {
    process.kill(pid, 'SIGKILL');
    throw new Error(`bench criu-lazy-pages: criu dump failed: ${lastLine(r.stderr ?? '')}`);
  }
  await gone;
  await until('the dumped program to be reaped', () => (fs.existsSync(`/proc/${pid}`) ? undefined : true), 30_000);
  // the program sees a restore as a gap of over 100 ms in the wall clock: a small dump restored at
  // once may come back sooner than that
  await sleep(RESTORE_GAP_MS);
  // the first scan follows the fill; the others are warm
  const warmMs = [...fs.readFileSync(out, 'utf8').matchAll(/ scan (\d+)/g)].slice(1).map((m) => Number(m[1]) / 1e6);
  return { dir, images, out, outSize: fs.statSync(out).size, pid, warmMs };
}

async function restoreOnce(opts: CriuLazyBenchOptions, d: Dumped, daemon: string): Promise<{ presentMs: number; firstScanMs: number }> {
  const work = fs.mkdtempSync(path.join(d.dir, 'work-'));
  const log = path.join(work, 'lazy-pages.log');
  const ours = daemon !== CRIU_REFERENCE;
  const child = ours
    ? spawn(process.execPath, [opts.cli, 'criu-lazy-pages', '-D', d.images, '-W', work, '--json', '--strategy', daemon], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(opts.criu, ['lazy-pages', '-D', d.images, '-W', work, '-v3', '-o', log], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (s: Buffer) => (stdout += s.toString()));
  child.stderr!.on('data', (s: Buffer) => (stderr += s.toString()));
  const done = exited(child);
  try {
    await until(`${daemon} to listen`, () => {
      if (child.exitCode !== null) throw new Error(`bench criu-lazy-pages: the ${daemon} daemon exited before it listened: ${lastLine(stderr)}`);
      return fs.existsSync(path.join(work, 'lazy-pages.socket')) && (!ours || stderr.includes('listening on')) ? true : undefined;
    }, 30_000);
    // the restored program writes its output from where it was: criu checks the file's size
    fs.truncateSync(d.out, d.outSize);
    const r = spawnSync(opts.criu, ['restore', '-D', d.images, '-W', work, '--lazy-pages', '-d', '--shell-job'], { encoding: 'utf8', input: '', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`bench criu-lazy-pages: criu restore failed with ${daemon}: ${lastLine(r.stderr ?? '')}`);
    const since = () => fs.readFileSync(d.out).subarray(d.outSize).toString('utf8');
    const scan = await until(`the first scan of the program restored with ${daemon}`, () => firstScanMs(since()), 60_000);
    process.kill(d.pid, 'SIGUSR1');
    await until('the restored program to exit and be reaped', () => (fs.existsSync(`/proc/${d.pid}`) ? undefined : true), 30_000);
    const code = await Promise.race([done, sleep(30_000).then(() => 'timeout' as const)]);
    if (code !== 0) throw new Error(`bench criu-lazy-pages: the ${daemon} daemon ${code === 'timeout' ? 'did not exit' : `exited with ${code}`}: ${lastLine(stderr)}`);
    const presentMs = ours ? (JSON.parse(stdout) as { metrics: { restoreNs: number } }[])[0].metrics.restoreNs / 1e6 : criuLogPresentMs(fs.readFileSync(log, 'utf8'));
    return { presentMs, firstScanMs: scan };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (fs.existsSync(`/proc/${d.pid}`)) process.kill(d.pid, 'SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  }
}
