import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RunResult, VmaStatus } from '@restorelab/core';
import { writeTestDump } from '@restorelab/core/testing';
import { cli, StartedCli, startCli, tempDir, until } from './cli';
import { criuUnavailableReason, findCriu } from './criu';
import { CRIU_LAZY_TARGET_SOURCE, CriuLazyBenchResult } from '../bench/criu-lazy-bench';

const criu = findCriu();
const why = criuUnavailableReason(criu);
if (why) console.warn(`criu-lazy-pages with real CRIU skipped: ${why}`);
const criuDescribe = why ? describe.skip : describe;
const criuIt = why ? it.skip : it;

const SOURCE = CRIU_LAZY_TARGET_SOURCE;
// the one-task restores are the issue's: 256 MiB of private memory; the others are smaller
const MIB = 32;
const PAGES = MIB * 256;
const BIG_MIB = 256;
const BIG_PAGES = BIG_MIB * 256;

/** Not a zombie: still running (or stopped). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Gone from the process table: its pid is free for criu restore again. */
function reaped(pid: number): boolean {
  return !fs.existsSync(`/proc/${pid}`);
}

/** A dumped criu-lazy-target: its images, and the output file it goes on writing to once restored. */
interface Dump {
  readonly dir: string;
  readonly images: string;
  readonly out: string;
  /** The output file's size at the dump: criu restore wants it back, and the restored tasks write from there. */
  readonly outSize: number;
  readonly pids: number[];
}

async function dumpTarget(exe: string, name: string, args: string[]): Promise<Dump> {
  const dir = tempDir(`criu-lazy-${name}`);
  const out = path.join(dir, 'target.out');
  const fd = fs.openSync(out, 'w');
  // its own session and no pipe to us: a tree criu dumps with --shell-job and nothing external
  const child = spawn(exe, args, { detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const exited = new Promise((r) => child.on('exit', r));
  const text = await until('the target to fill its memory', () => {
    const t = fs.readFileSync(out, 'utf8');
    return /\bscan \d+/.test(t) ? t : undefined;
  }, 30_000);
  const pids = text
    .split('\n')[0]
    .split(' ')
    .filter((w) => /^\d+$/.test(w))
    .map(Number);
  const images = path.join(dir, 'dump');
  fs.mkdirSync(images);
  const dump = spawnSync(criu!, ['dump', '-t', String(child.pid), '-D', images, '--shell-job'], { encoding: 'utf8', input: '', timeout: 60_000 });
  if (dump.status !== 0) throw new Error(`criu dump failed: ${dump.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  await exited;
  // what the dumped tasks forked was reparented to init when criu dump killed them
  await until('the dumped tasks to be reaped', () => (pids.every(reaped) ? true : undefined), 30_000);
  return { dir, images, out, outSize: fs.statSync(out).size, pids };
}

/** `restorelab criu-lazy-pages`, once it listens. */
async function startDaemon(d: Dump, work: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<StartedCli> {
  const daemon = startCli(['criu-lazy-pages', '-D', d.images, '-W', work, '--json', ...args], undefined, env);
  let stderr = '';
  let closed = false;
  daemon.child.stderr!.on('data', (s: string) => (stderr += s));
  void daemon.done.then(() => (closed = true));
  await until(
    'the daemon to listen',
    () => {
      if (closed) throw new Error(`criu-lazy-pages exited before it listened: ${stderr.trim()}`);
      return stderr.includes('listening on') ? true : undefined;
    },
    30_000,
  );
  return daemon;
}

/** The restored tasks' output since the restore. */
function since(d: Dump): string {
  return fs.readFileSync(d.out).subarray(d.outSize).toString('utf8');
}

function criuRestore(d: Dump, work: string): void {
  // the restored tasks write to the output file from where they were: criu checks its size
  fs.truncateSync(d.out, d.outSize);
  const r = spawnSync(criu!, ['restore', '-D', d.images, '-W', work, '--lazy-pages', '-d', '--shell-job'], { encoding: 'utf8', input: '', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`criu restore failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

/** Restores the dump lazily with the strategies, lets every task check its memory once, and stops it. */
async function restoreWith(d: Dump, args: string[], expectLines: RegExp[]): Promise<{ result: RunResult; output: string; notes: string[] }> {
  const work = fs.mkdtempSync(path.join(d.dir, 'work-'));
  const daemon = await startDaemon(d, work, args);
  try {
    criuRestore(d, work);
    await until(`${expectLines.join(', ')} from the restored tasks`, () => {
      const text = since(d);
      if (text.includes('mismatch')) throw new Error(`the restored memory is wrong: ${text.trim()}`);
      return expectLines.every((re) => re.test(text)) ? true : undefined;
    }, 60_000);
    for (const pid of d.pids) process.kill(pid, 'SIGUSR1');
    await until('the restored tasks to exit and be reaped', () => (d.pids.every(reaped) ? true : undefined), 30_000);
    const r = await daemon.done;
    const [serving, ...notes] = r.stderr.split('\n').filter((l) => l !== '');
    expect([r.code, serving]).toEqual([0, expect.stringMatching(/^criu-lazy-pages: serving /)]);
    const [result] = JSON.parse(r.stdout) as RunResult[];
    return { result, output: since(d), notes };
  } finally {
    daemon.child.kill('SIGKILL');
  }
}

criuDescribe('criu-lazy-pages serves a real criu restore --lazy-pages (e2e)', () => {
  let bin: string;
  const dumps: Dump[] = [];
  beforeAll(() => {
    bin = path.join(tempDir('criu-lazy-bin'), 'criu-lazy-target');
    execFileSync('cc', ['-O2', '-pthread', '-o', bin, SOURCE]);
  });
  afterAll(() => {
    for (const d of dumps) {
      for (const pid of d.pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      fs.rmSync(d.dir, { recursive: true, force: true });
    }
    fs.rmSync(path.dirname(bin), { recursive: true, force: true });
  });
  async function dump(name: string, args: string[]): Promise<Dump> {
    const d = await dumpTarget(bin, name, args);
    dumps.push(d);
    return d;
  }

  describe('one task, one thread, 256 MiB', () => {
    let d: Dump;
    beforeAll(async () => {
      d = await dump('one', [String(BIG_MIB), '1']);
    }, 120_000);

    it.each([
      ['demand-only', (c: RunResult['metrics']['pagesCopied']) => c.demand >= BIG_PAGES && c.prefetch + c.precopy + c.background === 0],
      // how much of it the background push gets before the program's own faults do depends on timing
      ['criu-lazy', (c: RunResult['metrics']['pagesCopied']) => c.demand + c.background >= BIG_PAGES && c.prefetch + c.precopy === 0],
      ['eager', (c: RunResult['metrics']['pagesCopied']) => c.precopy > 0 && c.demand + c.precopy >= BIG_PAGES],
      ['neighbor-prefetch', (c: RunResult['metrics']['pagesCopied']) => c.prefetch > 0 && c.demand + c.prefetch >= BIG_PAGES && c.background === 0],
      // without a profile or a trace of the program it knows no hot page: nothing to precopy, as on the simulator
      ['hot-first-precopy', (c: RunResult['metrics']['pagesCopied']) => c.demand >= BIG_PAGES && c.prefetch + c.precopy + c.background === 0],
      ['leap-trend', (c: RunResult['metrics']['pagesCopied']) => c.demand + c.prefetch >= BIG_PAGES && c.background === 0],
    ])(
      'with %s: the program finds every word it wrote, the daemon says how each page came',
      async (strategy, copiedAsStrategySays) => {
        const { result, output, notes } = await restoreWith(d, ['--strategy', strategy], [/main restored-scan \d+/]);
        expect(notes).toEqual([]);
        expect(output).toMatch(/main ok \d+/);
        expect(output).not.toMatch(/mismatch/);
        expect([result.strategy, result.backend]).toEqual([strategy, 'criu-lazy-pages']);
        expect([strategy, copiedAsStrategySays(result.metrics.pagesCopied), result.metrics.pagesCopied]).toEqual([strategy, true, result.metrics.pagesCopied]);
        expect(result.metrics.unrestoredPages).toBe(0);
      },
      90_000,
    );
  });

  it('serves a task of four threads', async () => {
    const d = await dump('threads', [String(MIB), '4']);
    const { result, output, notes } = await restoreWith(d, ['--strategy', 'criu-lazy'], [/main restored-scan \d+/]);
    expect(notes).toEqual([]);
    expect(output).toMatch(/main ok \d+/);
    expect(output).not.toMatch(/mismatch/);
    expect(result.metrics.pagesCopied.demand + result.metrics.pagesCopied.background).toBeGreaterThanOrEqual(PAGES);
  }, 120_000);

  it('serves a parent and the child it forked before the dump, each from its own pages', async () => {
    const d = await dump('fork', [String(MIB), '2', 'fork']);
    expect(d.pids).toHaveLength(2);
    const { result, output, notes } = await restoreWith(d, ['--strategy', 'criu-lazy'], [/parent restored-scan \d+/, /child restored-scan \d+/]);
    expect(notes).toEqual([]);
    expect(output).toMatch(/parent ok \d+/);
    expect(output).toMatch(/child ok \d+/);
    expect(output).not.toMatch(/mismatch/);
    const c = result.metrics.pagesCopied;
    expect(c.demand + c.background).toBeGreaterThanOrEqual(2 * PAGES);
  }, 120_000);

  it('serves a child forked during the restore from its parent\'s pages (UFFD_EVENT_FORK), never a zero page', async () => {
    const d = await dump('fork-after', [String(MIB), '1', 'fork-after']);
    const { result, output, notes } = await restoreWith(d, ['--strategy', 'demand-only'], [/main restored-scan \d+/, /fork-after child \w+/]);
    expect(output).toMatch(/fork-after child ok/);
    expect(output).toMatch(/main ok \d+/);
    expect(output).not.toMatch(/mismatch/);
    expect(notes).toHaveLength(1);
    const [, faults, pushed] = /^criu-lazy-pages: 1 task forked during the restore, .*: (\d+) faults?, (\d+) pages pushed$/.exec(notes[0]) ?? [];
    // how many of its pages the child still lacked depends on how soon its parent's watch thread
    // saw the restore (on a loaded machine the parent may have read them all first: 0 and 0);
    // e2e/backends/criu-lazy-pages.test.ts serves a fork's pages through its uffd deterministically
    expect([faults, pushed]).toEqual([expect.stringMatching(/^\d+$/), expect.stringMatching(/^\d+$/)]);
    expect(result.metrics.pagesCopied.demand).toBeGreaterThanOrEqual(PAGES);
  }, 120_000);

  it('kills the restored task, never lets it run on, when the daemon dies mid-restore', async () => {
    const d = await dump('death', [String(MIB), '1', 'slow']);
    const work = fs.mkdtempSync(path.join(d.dir, 'work-'));
    // the daemon's run directory goes here: a daemon killed with SIGKILL cannot remove it, its guardian does
    const tmp = fs.mkdtempSync(path.join(d.dir, 'tmp-'));
    const daemon = await startDaemon(d, work, ['--strategy', 'demand-only'], { TMPDIR: tmp });
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('restorelab-'))).toHaveLength(1);
    criuRestore(d, work);
    // the task runs on its lazily restored memory, 4 pages a ms: two seconds of demand faults ahead
    await until('the restored task to resume', () => (since(d).includes('resumed') ? true : undefined), 30_000);
    daemon.child.kill('SIGKILL');
    const r = await daemon.done;
    expect(r.signal).toBe('SIGKILL');
    await until('the guardian to kill the restored task', () => (alive(d.pids[0]) ? undefined : true), 10_000);
    // nothing but "resumed" and the end of the scan the dump cut into (before or after it): no
    // restored-scan, no ok, no mismatch
    const lines = since(d).split('\n').filter((l) => l !== '');
    expect(lines).toContain('resumed');
    expect(lines.filter((l) => l !== 'resumed' && !/^main scan \d+$/.test(l))).toEqual([]);
    expect(lines.length).toBeLessThanOrEqual(2);
    await until('the killed task to be reaped', () => (reaped(d.pids[0]) ? true : undefined), 30_000);
    await until('the guardian to remove the run directory', () => (fs.readdirSync(tmp).length === 0 ? true : undefined), 10_000);
  }, 120_000);
});

describe('criu-lazy-pages refuses in one line, before it listens', () => {
  let dir: string;
  const BASE = 0x7f0000000000;
  beforeAll(() => {
    dir = tempDir('criu-lazy-refuse');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function dumpWith(name: string, madv = 0): string {
    const images = path.join(dir, name);
    writeTestDump(images, { pids: [4242], vmas: [{ start: BASE, pages: 512, status: VmaStatus.Regular | VmaStatus.AnonPrivate, madv }], pagemap: [{ vaddr: BASE, pages: 512 }] });
    return images;
  }

  it('a dump it cannot read, naming the file', async () => {
    const images = dumpWith('bad');
    const pm = path.join(images, 'pagemap-4242.img');
    fs.writeFileSync(pm, fs.readFileSync(pm).subarray(0, 13));
    const r = await cli(['criu-lazy-pages', '-D', images]);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^restorelab: CRIU image .*pagemap-4242\.img: [^\n]*\n$/);
    expect(fs.existsSync(path.join(images, 'lazy-pages.socket'))).toBe(false);
  });

  it('an unknown strategy', async () => {
    const r = await cli(['criu-lazy-pages', '-D', dumpWith('ok'), '--strategy', 'no-such-strategy']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^restorelab: [^\n]*no-such-strategy[^\n]*\n$/);
  });

  it("a plan that needs our runner (thp-guard's advice on a hugepage VMA)", async () => {
    const images = dumpWith('thp', 2 ** 14);
    const r = await cli(['criu-lazy-pages', '-D', images, '--strategy', 'thp-guard']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^restorelab: the strategies' plan asks for THP advice [^\n]*; try them on the dump in our runner with --workload criu:DIR\n$/);
  });
});

// here, not in a file of its own: two files restoring with CRIU at once disturb each other's restores
describe('restorelab bench criu-lazy-pages (e2e)', () => {
  criuIt('restores a real program with CRIU\'s daemon and ours, interleaved, and says how long each took', async () => {
    const r = await cli(['bench', 'criu-lazy-pages', '--criu', criu!, '--mib', '32', '--runs', '2', '--strategy', 'eager', '--program', 'sum', '--json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const result = JSON.parse(r.stdout) as CriuLazyBenchResult;
    expect([result.mib, result.program, result.rows.map((x) => x.daemon)]).toEqual([32, 'sum', ['criu lazy-pages', 'eager']]);
    expect(result.warmMs.length).toBeGreaterThanOrEqual(4);
    for (const row of result.rows) {
      expect([row.presentMs.length, row.firstScanMs.length]).toEqual([2, 2]);
      for (const x of [...row.presentMs, ...row.firstScanMs]) expect(x).toBeGreaterThan(0);
    }
  }, 180_000);

  it.each([
    [['--criu', '/nonexistent/criu'], /^restorelab: cannot run criu at \/nonexistent\/criu \(give --criu PATH or set RESTORELAB_CRIU\)\n$/],
    [[], /^restorelab: bench criu-lazy-pages needs CRIU: give --criu PATH or set RESTORELAB_CRIU\n$/],
    [['--runs', '0'], /^restorelab: --runs must be a positive integer, got 0/],
    [['--program', 'fast'], /^restorelab: .*fast/],
  ])('refuses %j in one line', async (args, message) => {
    const r = await cli(['bench', 'criu-lazy-pages', ...args], { env: { RESTORELAB_CRIU: '' } });
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
