import * as fs from 'fs';
import * as path from 'path';
import { RunResult } from '@restorelab/core';
import { linuxUnavailableReason } from '@restorelab/backend-linux';
import { cli, CliResult, errLines, startCli, StartedCli, tempDir, until } from './cli';

/**
 * Post-copy over a link: `restorelab serve` and `run --backend linux --source tcp://...`, as users
 * run them. The restored memory is verified page by page against the image; the link is loopback,
 * shaped by the server where a test says so.
 */
const skip = linuxUnavailableReason();
if (skip) console.warn(`page server e2e tests skipped: ${skip}`);
const linuxIt = skip ? it.skip : it;

const WORKLOAD = 'zipf:pages=4096,accesses=8000';
const DETERMINISTIC = ['demand-only', 'eager', 'neighbor-prefetch:window=8', 'successor-prefetch', 'thp-guard,neighbor-prefetch'];

interface Server {
  readonly cli: StartedCli;
  readonly url: string;
  /** The native server process under the serve command. */
  readonly pid: number;
  out(): string;
}

function childrenNamed(parent: number, comm: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && stat.includes(`(${comm})`)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function serve(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Server> {
  const started = startCli(['serve', ...args, '--listen', '127.0.0.1:0'], undefined, env);
  let out = '';
  started.child.stdout!.on('data', (d: Buffer | string) => (out += d.toString()));
  const url = await until('the serve command says where it listens', () => /on (tcp:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], 30_000);
  const pid = await until('the native page server', () => childrenNamed(started.child.pid!, 'restorelab-page')[0], 5000);
  return { cli: started, url, pid, out: () => out };
}

async function stop(s: Server): Promise<void> {
  if (s.cli.child.exitCode === null && s.cli.child.signalCode === null) s.cli.child.kill('SIGINT');
  await s.cli.done;
}

function results(r: CliResult): RunResult[] {
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as RunResult[];
}

function oneLine(r: CliResult, code: number, message: RegExp): void {
  expect(errLines(r)).toEqual([expect.stringMatching(message)]);
  expect(r.code).toBe(code);
}

const strategyArgs = (stacks: readonly string[]) => stacks.flatMap((s) => ['--strategy', s]);

describe('restores from a page server (e2e)', () => {
  let server: Server;
  let local: RunResult[];
  beforeAll(async () => {
    if (skip) return;
    server = await serve(['--workload', WORKLOAD]);
    local = results(await cli(['run', '--backend', 'linux', '--workload', WORKLOAD, ...strategyArgs(DETERMINISTIC), '--json']));
  }, 120_000);
  afterAll(async () => {
    if (server) await stop(server);
  });

  linuxIt.each([2, 1])('over %i channel(s): every deterministic strategy verified, with the demand faults of a local restore', async (channels) => {
    const remote = results(await cli(['run', '--backend', 'linux', '--workload', WORKLOAD, ...strategyArgs(DETERMINISTIC), '--source', server.url, '--channels', String(channels), '--json']));
    expect(remote.map((r) => [r.strategy, r.verified, r.metrics.mismatchedPages])).toEqual(DETERMINISTIC.map((s) => [s, true, 0]));
    expect(remote.map((r) => r.metrics.demandFaults)).toEqual(local.map((r) => r.metrics.demandFaults));
    expect(remote[0].metrics.demandFaults).toBeGreaterThan(1000);
  }, 120_000);

  linuxIt('a reactive strategy and a background stream restore over it too', async () => {
    const r = results(await cli(['run', '--backend', 'linux', '--workload', WORKLOAD, '--strategy', 'criu-lazy', '--strategy', 'qemu-postcopy', '--source', server.url, '--json']));
    expect(r.map((x) => [x.verified, x.metrics.mismatchedPages])).toEqual([[true, 0], [true, 0]]);
    expect(r[1].metrics.pagesCopied.background).toBeGreaterThan(0);
  }, 120_000);

  linuxIt('refuses, in one line, a server with another image and an address nobody serves', async () => {
    oneLine(await cli(['run', '--backend', 'linux', '--workload', 'zipf:pages=2048', '--strategy', 'eager', '--source', server.url]), 2,
      /^restorelab: page server 127\.0\.0\.1:\d+: it serves 16777216 bytes of 4096-byte pages, this image has 8388608 bytes of 4096-byte pages \(another image\?\)$/);
    oneLine(await cli(['run', '--backend', 'linux', '--workload', WORKLOAD, '--strategy', 'eager', '--source', 'tcp://127.0.0.1:1']), 2,
      /^restorelab: page server 127\.0\.0\.1:1: cannot connect \(Connection refused\)$/);
  }, 60_000);
});

describe('a shaped link (e2e)', () => {
  linuxIt('each demand fault waits at least the round trip the server shapes', async () => {
    const server = await serve(['--workload', WORKLOAD, '--latency-us', '200', '--bandwidth', '1gbit']);
    try {
      expect(server.out()).toMatch(/link: 200 us one way, 1 Gbit\/s per channel/);
      const [r] = results(await cli(['run', '--backend', 'linux', '--workload', WORKLOAD, '--strategy', 'demand-only', '--source', server.url, '--json']));
      expect(r.verified).toBe(true);
      // two one-way latencies and a page at 1 Gbit/s: the shaper holds every answer that long
      expect(r.metrics.faultLatencyNs.p50).toBeGreaterThanOrEqual(400_000 + 32_768);
    } finally {
      await stop(server);
    }
  }, 120_000);
});

describe('run --link (e2e)', () => {
  linuxIt.each(['latency-us=100,bandwidth=1gbit', 'latency-us=100,bandwidth=1gbit,channels=1', 'latency-us=100,bandwidth=1gbit,shared=1'])(
    'over %s: the run starts its own shaped page server and restores verified through it, logged as usual',
    async (link) => {
      const dir = tempDir('page-server-link');
      try {
        const r = results(await cli(['run', '--backend', 'linux', '--workload', WORKLOAD, '--strategy', 'demand-only', '--strategy', 'qemu-postcopy', '--link', link, '--log-dir', dir, '--json']));
        expect(r.map((x) => [x.verified, x.metrics.mismatchedPages])).toEqual([[true, 0], [true, 0]]);
        const [here] = results(await cli(['run', '--backend', 'linux', '--workload', WORKLOAD, '--strategy', 'demand-only', '--json']));
        expect(r[0].metrics.demandFaults).toBe(here.metrics.demandFaults);
        // two one-way latencies and a page, at least (the shaper holds every answer that long)
        expect(r[0].metrics.faultLatencyNs.p50).toBeGreaterThanOrEqual(200_000 + 32_768);
        const logs = fs.readdirSync(dir);
        expect(logs).toHaveLength(2);
        const replayed = await cli(['replay', path.join(dir, logs[0]), '--json']);
        expect(replayed.code).toBe(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

describe('a page server that goes away mid-restore (e2e)', () => {
  const LONG = 'seq:pages=16384,gapNs=100000';
  linuxIt.each([
    ['killed', 'SIGKILL' as const, /^restorelab: the page server closed the connection \(pid 1, pages \d+\+\d+ not restored\)$/],
    ['stopped', 'SIGSTOP' as const, /^restorelab: the page server stopped answering \(pid 1, pages \d+\+\d+ not restored\)$/],
  ])('%s: the run fails in one line, the restored process is gone, nothing is left', async (_what, signal, message) => {
    const server = await serve(['--workload', LONG]);
    const dir = tempDir('page-server-death');
    try {
      const run = startCli(['run', '--backend', 'linux', '--workload', LONG, '--strategy', 'demand-only', '--source', server.url], dir);
      // the runner is faulting its pages in from the server
      const runner = await until('the runner', () => childrenNamed(run.child.pid!, 'restorelab-runn')[0], 10_000);
      await new Promise((r) => setTimeout(r, 300));
      process.kill(server.pid, signal);
      const r = await run.done;
      expect(errLines({ ...r, code: r.code })).toEqual([expect.stringMatching(message)]);
      expect(r.code).toBe(1);
      expect(r.stdout).not.toMatch(/✓/);
      expect(fs.existsSync(`/proc/${runner}`) && !/\) [ZX] /.test(fs.readFileSync(`/proc/${runner}/stat`, 'utf8'))).toBe(false);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      if (signal === 'SIGSTOP') process.kill(server.pid, 'SIGCONT');
      await stop(server);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('page server mistakes (e2e)', () => {
  it.concurrent.each([
    ['--source on the simulator', ['run', '--workload', WORKLOAD, '--source', 'tcp://127.0.0.1:7070'], /^restorelab: --source reads pages over TCP on the linux backend: add --backend linux$/],
    ['a source that is not tcp://', ['run', '--backend', 'linux', '--workload', WORKLOAD, '--source', '127.0.0.1:7070'], /^restorelab: --source must be tcp:\/\/HOST:PORT, got '127\.0\.0\.1:7070'$/],
    ['three channels', ['run', '--backend', 'linux', '--source', 'tcp://127.0.0.1:7070', '--channels', '3'], /^restorelab: --channels must be 1 or 2, got 3$/],
    ['--channels without --source', ['run', '--backend', 'linux', '--channels', '1'], /^restorelab: --channels and --token-file go with --source tcp:\/\/HOST:PORT \(with --link, say channels=1 in it\)$/],
    ['serve with nothing to serve', ['serve'], /^restorelab: serve needs an IMAGE directory or --workload W \(one of them\)$/],
    ['serve on every address without a token', ['serve', '--workload', WORKLOAD, '--listen', '0.0.0.0:0'], /^restorelab: a page server on 0\.0\.0\.0 \(not loopback\) needs a shared token: --token-file FILE or RESTORELAB_PAGE_SERVER_TOKEN$/],
    ['serve on a host name', ['serve', '--workload', WORKLOAD, '--listen', 'localhost:7070'], /^restorelab: --listen must be ADDRESS:PORT with a numeric address/],
    ['a latency past the limit', ['serve', '--workload', WORKLOAD, '--latency-us', '1000000'], /^restorelab: --latency-us must be an integer from 0 to 100000, got 1000000$/],
    ['a bandwidth that is not one', ['serve', '--workload', WORKLOAD, '--bandwidth', 'fast'], /^restorelab: --bandwidth must be a rate such as 1gbit/],
    ['serve a missing image', ['serve', '/nonexistent/img'], /^restorelab: image manifest \/nonexistent\/img\/manifest\.json: cannot read it \(ENOENT\)$/],
  ])('%s: one line, exit 2', async (_what, args, message) => {
    oneLine(await cli(args), 2, message);
  });

  linuxIt('a token from the environment: a client without it is refused, one with it restores', async () => {
    const dir = tempDir('page-server-token');
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, 'sesame-42\n', { mode: 0o600 });
    const server = await serve(['--workload', WORKLOAD], { RESTORELAB_PAGE_SERVER_TOKEN: 'sesame-42' });
    try {
      expect(server.out()).toMatch(/token required/);
      oneLine(await cli(['run', '--backend', 'linux', '--workload', WORKLOAD, '--strategy', 'eager', '--source', server.url]), 2,
        /^restorelab: page server 127\.0\.0\.1:\d+: it refused the token/);
      const [r] = results(await cli(['run', '--backend', 'linux', '--workload', WORKLOAD, '--strategy', 'eager', '--source', server.url, '--token-file', tokenFile, '--json']));
      expect(r.verified).toBe(true);
    } finally {
      await stop(server);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
