import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { linuxUnavailableReason } from '@restorelab/backend-linux';
import { assertBuilt, startCli as start, tempDir, until } from './cli';

/**
 * Faults injected into real restores and experiments: kill -9 of the CLI, of the runner, of one
 * process of a fork tree; SIGINT and SIGTERM of `run` (during the set-up and mid-restore) and of
 * `matrix` (then resumed). After each, the exit code is the documented one, the restored processes
 * are gone within a second, no restored process went on past a missing page, and nothing is left:
 * no runner, no run directory or other restorelab entry in the temp directory, no /dev/shm entry,
 * no restorelab unix socket.
 */
const skip = linuxUnavailableReason();
if (skip) console.warn(`fault-injection tests skipped: ${skip}`);
const linuxIt = skip ? it.skip : it;

interface Leftovers {
  readonly runners: number[];
  readonly tmp: string[];
  readonly shm: string[];
  readonly sockets: string[];
}

/** What a restore can leave behind; `before` entries (of other tests) are not counted. */
function leftovers(before?: Leftovers): Leftovers {
  const runners: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.includes('(restorelab-runn)') && !/\) [ZX] /.test(stat)) runners.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  // what run and matrix make in the temp directory: run directories and page server directories
  // (other suites' scratch directories, e.g. restorelab-arrow-*, come and go in parallel workers)
  const tmp = fs.readdirSync(os.tmpdir()).filter((f) => /^restorelab-(serve-)?[A-Za-z0-9]{6}$/.test(f) && !(before?.tmp.includes(f) ?? false));
  const shm = fs.readdirSync('/dev/shm').filter((f) => !(before?.shm.includes(f) ?? false));
  const sockets = fs
    .readFileSync('/proc/net/unix', 'utf8')
    .split('\n')
    .filter((l) => l.includes('restorelab-') && !(before?.sockets.includes(l) ?? false));
  return { runners: runners.filter((p) => !(before?.runners.includes(p) ?? false)), tmp, shm, sockets };
}

const NONE: Leftovers = { runners: [], tmp: [], shm: [], sockets: [] };

function ppidOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/** The runner the CLI `cli` started, and its processes (a fork tree's children). */
function runnersOf(cli: number): number[] {
  const all = leftovers().runners;
  const mine = all.filter((p) => ppidOf(p) === cli);
  return [...mine, ...all.filter((p) => mine.includes(ppidOf(p)))];
}

/** The restore of 16384 pages at 100 us of compute per access lasts about two seconds. */
const LONG = 'seq:pages=16384,gapNs=100000';

describe('faults during a restore (e2e)', () => {
  let before: Leftovers;
  beforeAll(() => {
    assertBuilt();
    before = leftovers();
  });
  afterEach(async () => {
    // whatever a case did, it left nothing that the next one would count
    await until('nothing is left behind', () => {
      const l = leftovers(before);
      return JSON.stringify(l) === JSON.stringify(NONE) ? l : undefined;
    }, 1000);
  });

  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    linuxIt(`${sig} of run mid-restore: exit ${code}, the restore torn down`, async () => {
      const run = start(['run', '--backend', 'linux', '--workload', LONG, '--strategy', 'demand-only']);
      const runner = await until('the runner runs', () => runnersOf(run.child.pid!)[0], 20_000);
      run.child.kill(sig);
      await until('the runner is gone', () => (leftovers().runners.includes(runner) ? undefined : true), 1000);
      const r = await run.done;
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(/^restorelab: interrupted: the restore was stopped and its run directory removed$/m);
      expect(leftovers(before)).toEqual(NONE);
    });
  }

  linuxIt('SIGINT while the run directory is set up (a 1 GiB pages file): exit 130, no directory left', async () => {
    // without the pages cache, the run directory gets the 1 GiB pages file written into it
    const run = start(['run', '--backend', 'linux', '--workload', 'seq:pages=262144,accesses=1000', '--strategy', 'demand-only'], undefined, { RESTORELAB_PAGES_CACHE: 'off' });
    await until('the run directory exists', () => leftovers(before).tmp[0], 20_000);
    run.child.kill('SIGINT');
    const r = await run.done;
    // heard while setting up, or (the setup is one synchronous step) only once the short restore had ended
    expect(r.code).toBe(130);
    expect(r.stderr.trim()).toMatch(/^restorelab: interrupted(: the restore was stopped and its run directory removed| after the last run had ended \(its results are above\))$/);
    expect(leftovers(before)).toEqual(NONE);
  });

  linuxIt('kill -9 of the CLI: the runner stops at once instead of running on missing pages', async () => {
    const run = start(['run', '--backend', 'linux', '--workload', LONG, '--strategy', 'demand-only']);
    const runner = await until('the runner runs', () => runnersOf(run.child.pid!)[0], 20_000);
    run.child.kill('SIGKILL');
    await until('the runner is gone', () => (leftovers().runners.includes(runner) ? undefined : true), 1000);
    const r = await run.done;
    expect(r.signal).toBe('SIGKILL');
    expect(r.stderr).toMatch(/restorelab-runner: page server went away .* aborting so the process never runs on pages that were not restored/);
  });

  linuxIt('kill -9 of the CLI during pre-copy rounds: the live source and the runner stop, their run directory goes', async () => {
    // round 1 of 256 MiB takes longer than it takes to see both processes
    const run = start(['run', '--backend', 'linux', '--workload', 'hotcold:pages=65536,accesses=1000,sourceAccesses=4096', '--strategy', 'hybrid-precopy']);
    const both = await until('the source and the runner run', () => (runnersOf(run.child.pid!).length >= 2 ? runnersOf(run.child.pid!) : undefined), 20_000);
    run.child.kill('SIGKILL');
    await until('the source and the runner are gone', () => (both.some((p) => leftovers().runners.includes(p)) ? undefined : true), 1000);
    expect((await run.done).signal).toBe('SIGKILL');
  });

  linuxIt('kill -9 of the runner: a one-line failure, exit 1, everything cleaned up', async () => {
    const run = start(['run', '--backend', 'linux', '--workload', LONG, '--strategy', 'demand-only']);
    const runner = await until('the runner runs', () => runnersOf(run.child.pid!)[0], 20_000);
    process.kill(runner, 'SIGKILL');
    const r = await run.done;
    expect(r.code).toBe(1);
    // whichever sees it first: the CLI (its child was killed), the monitor (the connection closed,
    // before or after the runner's hello)
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^restorelab: (the workload runner was killed by SIGKILL before the end of the restore|the runner process of pid 1 \(os pid \d+\) went away before the end of its workload|a runner process went away before registering its memory)$/,
      ),
    ]);
  });

  linuxIt('kill -9 of one process of a fork tree: the others are stopped, a one-line failure, exit 1', async () => {
    const run = start(['run', '--backend', 'linux', '--workload', 'forktree:pages=4096,procs=4,gapNs=400000', '--strategy', 'demand-only']);
    const tree = await until('the fork tree runs', () => {
      const t = runnersOf(run.child.pid!);
      return t.length === 4 ? t : undefined;
    }, 20_000);
    process.kill(tree[2], 'SIGKILL');
    await until('the tree is gone', () => (tree.some((p) => leftovers().runners.includes(p)) ? undefined : true), 1000);
    const r = await run.done;
    expect(r.code).toBe(1);
    // killed before it could tell the monitor, its parent says so; after, the monitor does
    const lines = r.stderr.trim().split('\n');
    expect(lines.slice(0, -1).every((l) => l.startsWith('restorelab-runner: '))).toBe(true);
    // or, killed before the workload started, its parent's SIGCHLD watch fails the restore
    expect(lines[lines.length - 1]).toMatch(
      /^restorelab: (the runner process of pid 3 \(os pid \d+\) went away before the end of its workload|a runner process went away before registering its memory|runner, pid \d+: a process it forked \(os pid \d+\) was killed by signal 9 before the workload started)$/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('faults during an experiment (e2e)', () => {
  const experiment = `{"name":"faults","backends":["sim"],"repetitions":6,"seed":1,
    "workloads":[{"name":"zipf","params":{"pages":16384,"accesses":400000}}],
    "strategies":["demand-only","neighbor-prefetch","eager"]}`;

  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${sig} of matrix keeps the finished runs (exit ${code}); the same command then resumes`, async () => {
      const dir = tempDir('faults-matrix');
      try {
        fs.writeFileSync(path.join(dir, 'faults.json'), experiment);
        const args = ['matrix', 'faults.json', '--out', 'out', '--jobs', '1', '--no-report'];
        const first = start(args, dir);
        await until('a run is done', () => (fs.existsSync(path.join(dir, 'out', 'runs')) && fs.readdirSync(path.join(dir, 'out', 'runs')).length > 0 ? true : undefined), 60_000);
        first.child.kill(sig);
        const r1 = await first.done;
        expect(r1.code).toBe(code);
        const kept = Number(/interrupted: (\d+) of 18 runs are done/.exec(r1.stderr)?.[1]);
        expect(kept).toBeGreaterThan(0);
        expect(kept).toBeLessThan(18);
        const second = start(args, dir);
        const r2 = await second.done;
        expect(r2.code).toBe(0);
        expect(r2.stdout).toMatch(new RegExp(`matrix faults: 18/18 runs done, ${kept} from before`));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
