import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { criuDumpWorkload, DefaultStrategyRegistry, EventKind, RunOutcome, runRestore, VmaStatus } from '@restorelab/core';
import { writeTestDump } from '@restorelab/core/testing';
import { builtInStrategies } from '@restorelab/strategies';
import { CRIU_LAZY_SOCKET, CriuLazyPagesBackend, linuxUnavailableReason, NativeMonitorStats } from '@restorelab/backend-linux';

// The daemon without CRIU: a test client speaks the restore's side of the socket over a real uffd.
const skip = linuxUnavailableReason();
if (skip) console.warn(`criu-lazy-pages tests with the test client skipped: ${skip}`);
const linuxDescribe = skip ? describe.skip : describe;
const registry = new DefaultStrategyRegistry({ getContributions: () => [...builtInStrategies] });
const FINISH = 0x52535446;

interface Served {
  readonly outcome?: RunOutcome;
  readonly error?: string;
  readonly stats?: NativeMonitorStats;
  readonly client: { code: number | null; signal: NodeJS.Signals | null; stdout: string };
}

function untilLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        child.stdout!.off('data', onData);
        resolve(text.slice(0, nl));
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', () => reject(new Error(`the test client exited before it mapped its memory: ${text}`)));
  });
}

linuxDescribe('criu-lazy-pages with a test client in place of criu restore', () => {
  let dir: string;
  let client: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-lazy-client-'));
    client = path.join(dir, 'lazy-restore-client');
    execFileSync('cc', ['-O2', '-o', client, path.join(__dirname, '__fixtures__', 'lazy-restore-client.c')]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Maps `pages` in a client, writes its dump, and serves it; the client connects once the daemon listens. */
  async function serve(pages: number, mode: string, strategy = 'demand-only', onListening?: (socket: string) => void): Promise<Served> {
    const work = fs.mkdtempSync(path.join(dir, 'work-'));
    const c = spawn(client, [path.join(work, CRIU_LAZY_SOCKET), String(pages), mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    const exited = new Promise<Served['client']>((resolve) => c.on('close', (code, signal) => resolve({ code, signal, stdout })));
    const [addr, pid] = (await untilLine(c)).split(' ').map(Number);
    c.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    const dump = path.join(work, 'dump');
    writeTestDump(dump, {
      pids: [pid],
      vmas: [{ start: addr, pages, status: VmaStatus.Regular | VmaStatus.AnonPrivate }],
      pagemap: [{ vaddr: addr, pages }],
    });
    const workload = criuDumpWorkload(dump);
    const backend = new CriuLazyPagesBackend({
      workDir: work,
      onListening: (socket) => {
        if (onListening) onListening(socket);
        else c.stdin!.end('go\n');
      },
    });
    let outcome: RunOutcome | undefined;
    let error: string | undefined;
    try {
      outcome = await runRestore({ backend, workload, strategy, strategies: registry.instantiate(strategy), seed: 1, logPath: null });
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    } finally {
      workload.image.close();
    }
    // a client the daemon refused may be left blocked on a page nobody serves
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    if (error !== undefined || onListening) c.kill('SIGKILL');
    const done = await exited;
    clearTimeout(timer);
    return { outcome, error, stats: backend.lastStats, client: done };
  }

  it.each(['demand-only', 'criu-lazy', 'eager', 'neighbor-prefetch'])('serves every page of the dump with %s: the client reads what was dumped', async (strategy) => {
    const { outcome, error, client: c } = await serve(2048, 'normal', strategy);
    expect(error).toBeUndefined();
    expect([c.code, c.stdout]).toEqual([0, 'ok 2048\n']);
    const copied = outcome!.result.metrics.pagesCopied;
    expect(copied.demand + copied.prefetch + copied.precopy + copied.background).toBe(2048);
    expect(outcome!.result.metrics.zeroPages).toBe(0);
  });

  it('serves a child the client forks after the finish value from its parent\'s pages (UFFD_EVENT_FORK)', async () => {
    const { outcome, error, stats, client: c } = await serve(2048, 'fork');
    expect(error).toBeUndefined();
    expect([c.code, c.stdout]).toEqual([0, 'ok 2048 and the child\n']);
    // forked before it read a page: every page of its own came through its uffd
    expect(stats!.forkedTasks).toBe(1);
    expect(stats!.forkedFaults + stats!.forkedPushed).toBeGreaterThanOrEqual(2048);
    expect(outcome!.result.metrics.pagesCopied.demand).toBe(2048);
  });

  it.each([
    ['remap', 'ok 2048\n', 'VmaRemapped'],
    ['dontneed', 'ok 2048\n', 'VmaRemoved'],
    ['unmap', 'ok 1024\n', 'VmaUnmapped'],
  ])('follows the task when it does %s after the finish value', async (mode, out, kind) => {
    const { outcome, error, client: c } = await serve(2048, mode);
    expect(error).toBeUndefined();
    expect([c.code, c.stdout]).toEqual([0, out]);
    const s = outcome!.store;
    let seen = 0;
    for (let i = 0; i < s.length; i++) if (s.kind[i] === EventKind[kind as keyof typeof EventKind]) seen++;
    expect(seen).toBeGreaterThan(0);
  });

  it('ends a task that exits during the restore, with its pages not all in', async () => {
    const { outcome, error, client: c } = await serve(2048, 'exit');
    expect(error).toBeUndefined();
    expect([c.code, c.stdout]).toEqual([0, '']);
    const copied = outcome!.result.metrics.pagesCopied;
    expect(copied.demand).toBe(0);
  });

  it('skips a zombie (a negated pid) and serves the task after it', async () => {
    const { error, client: c } = await serve(256, 'zombie');
    expect(error).toBeUndefined();
    expect([c.code, c.stdout]).toEqual([0, 'ok 256\n']);
  });

  it.each([
    ['no-fd', /^criu restore sent pid \d+ without its userfaultfd$/],
    ['wrong-pid', /^criu restore sent pid \d+, which the dump's images do not have$/],
    ['twice', /^criu restore sent pid \d+ twice$/],
    ['no-finish', /^criu restore closed the lazy-pages socket before it finished \(the restore failed\)$/],
  ])('fails in one line when the restore sends %s', async (mode, message) => {
    const { error } = await serve(64, mode);
    expect(error).toMatch(message);
  });

  it('fails in one line, never hangs, on any byte stream on the socket (seeded garbage)', async () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    const messages = new Set<string | undefined>();
    for (let k = 0; k < 20; k++) {
      // some streams end inside a value, some start with a zombie, a pid 0 or the finish value
      const bytes = Buffer.alloc(k % 5 === 2 ? Math.floor(rand() * 4) : 8 + Math.floor(rand() * 64));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
      if (k % 5 === 0) bytes.writeInt32LE(-Math.floor(rand() * 1e6) - 1, 0);
      if (k % 5 === 1) bytes.writeUInt32LE(FINISH, 0);
      if (k % 5 === 3) bytes.writeInt32LE(0, 0);
      const { error, outcome } = await serve(16, 'normal', 'demand-only', (socket) => {
        const s = net.connect(socket, () => s.end(bytes));
        s.on('error', () => {});
      });
      messages.add(error?.replace(/-?\d+/g, 'N'));
      expect([k, outcome]).toEqual([k, undefined]);
      expect([k, error]).toEqual([k, expect.stringMatching(/^criu restore [^\n]+$/)]);
    }
    // the streams reached the parser's different refusals
    expect(messages.size).toBeGreaterThanOrEqual(3);
  });
});
