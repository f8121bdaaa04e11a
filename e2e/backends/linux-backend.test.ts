import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ignoreElements, map, take } from 'rxjs';
import { SimBackend } from '@restorelab/backend-sim';
import {
  copyPages,
  CopyCause,
  DefaultStrategyRegistry,
  EventKind,
  EventStore,
  madvise,
  MAX_REPORTED_MISMATCHES,
  RejectReason,
  setFaultRules,
  RestoreBackend,
  runRestore,
  Strategy,
  StrategyCommand,
} from '@restorelab/core';
import { builtInStrategies } from '@restorelab/strategies';
import { builtIn as workloadFromSpec, linuxUnavailableReason as linuxSkipReason, LinuxBackend, loadNative, NativeLoad } from '@restorelab/backend-linux';

const skip = linuxSkipReason();
if (skip) console.warn(`linux backend tests skipped: ${skip}`);
const linuxTest = skip ? test.skip : test;
const registry = new DefaultStrategyRegistry({ getContributions: () => [...builtInStrategies] });

async function run(backend: RestoreBackend, workloadSpec: string, strategy: string | { name: string; instance: Strategy }, signal?: AbortSignal) {
  const workload = workloadFromSpec(workloadSpec);
  const strategies = typeof strategy === 'string' ? registry.instantiate(strategy) : [{ name: strategy.name, spec: strategy.name, instance: strategy.instance }];
  return runRestore({ backend, workload, strategy: typeof strategy === 'string' ? strategy : strategy.name, strategies, seed: 1, logPath: null, signal });
}

function count(store: EventStore, kind: number, pred: (i: number) => boolean = () => true): number {
  let n = 0;
  for (let i = 0; i < store.length; i++) if (store.kind[i] === kind && pred(i)) n++;
  return n;
}

/** The real binding, with the runner started under `prefix` (a command that execs its arguments). */
function wrappedRunner(prefix: readonly string[]): () => NativeLoad {
  return () => {
    const real = loadNative();
    if (!real.ok) return real;
    return { ...real, runnerPath: `/usr/bin/${prefix[0]}`, runnerArgs: [...prefix.slice(1), real.runnerPath, ...(real.runnerArgs ?? [])] };
  };
}

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

describe('the acceptance runs at 65536 pages', () => {
  for (const [workload, strategy] of [
    ['seq:pages=65536', 'demand-only'],
    ['zipf:pages=65536', 'demand-only'],
    ['seq:pages=65536', 'eager'],
    ['zipf:pages=65536', 'eager'],
  ]) {
    linuxTest(`${strategy} on ${workload}: verified, and the demand faults of the simulator`, async () => {
      const linux = await run(new LinuxBackend(), workload, strategy);
      const sim = await run(new SimBackend(), workload, strategy);
      const m = linux.result.metrics;
      expect(linux.result.verified).toBe(true);
      expect(m.mismatchedPages).toBe(0);
      expect(m.demandFaults).toBe(sim.result.metrics.demandFaults);
      expect(m.pagesCopied).toEqual(sim.result.metrics.pagesCopied);
      if (strategy === 'eager') expect(m.demandFaults).toBe(0);
      if (workload === 'seq:pages=65536' && strategy === 'demand-only') expect(m.demandFaults).toBe(65536);
      console.log(`${strategy} on ${workload}: ${m.demandFaults} demand faults, ${m.verifiedPages} pages verified, workload ${(m.workloadNs / 1e6).toFixed(1)} ms`);
    });
  }
});

describe('the linux backend', () => {
  linuxTest('starts the workload of reactive strategies once they have handled every registration', async () => {
    // a slow handler: the workload would fault long before the strategy had seen the registrations
    const handled: number[] = [];
    const slow: Strategy = {
      attach: (ctx) =>
        ctx.vmaRegistered$.pipe(
          map(() => {
            const until = Date.now() + 20;
            while (Date.now() < until);
            handled.push(ctx.now());
          }),
          ignoreElements(),
        ),
    };
    const backend = new LinuxBackend();
    const out = await run(backend, 'seq:pages=2048', { name: 'slow-registrations', instance: slow });
    const s = out.store;
    const started = Array.from({ length: s.length }, (_, i) => i).filter((i) => s.kind[i] === EventKind.WorkloadStarted);
    expect(handled.length).toBe(count(s, EventKind.VmaRegistered));
    expect(started).toHaveLength(1);
    expect(Math.max(...handled)).toBeLessThanOrEqual(s.t[started[0]]);
    // what handing an event on cost, on average: the 20 ms handlers are in it
    expect(backend.lastEventHandlingNs).toBeGreaterThan((20e6 * handled.length) / s.length);
    expect(out.result.verified).toBe(true);
  });

  linuxTest('follows the event protocol from RestoreStarted to RestoreEnded', async () => {
    const out = await run(new LinuxBackend(), 'uniform:pages=2048,accesses=3000,zeroFraction=0.1', 'demand-only');
    const s = out.store;
    const kinds = Array.from(s.kind.subarray(0, s.length));
    expect(kinds[0]).toBe(EventKind.RestoreStarted);
    expect(kinds[kinds.length - 1]).toBe(EventKind.RestoreEnded);
    const first = (k: number) => kinds.indexOf(k);
    expect(first(EventKind.VmaRegistered)).toBeLessThan(first(EventKind.WorkloadStarted));
    expect(first(EventKind.WorkloadStarted)).toBeLessThan(first(EventKind.FaultRaised));
    expect(kinds.lastIndexOf(EventKind.FaultResolved)).toBeLessThan(first(EventKind.WorkloadEnded));
    expect(first(EventKind.WorkloadEnded)).toBeLessThan(first(EventKind.PagesVerified));
    // every fault is resolved, with a zero page or a demand copy
    const raised = count(s, EventKind.FaultRaised);
    expect(count(s, EventKind.FaultResolved)).toBe(raised);
    expect(count(s, EventKind.ZeroPageMapped) + count(s, EventKind.PagesCopied, (i) => s.c[i] === CopyCause.Demand)).toBe(raised);
    expect(out.result.metrics.zeroPages).toBeGreaterThan(0);
    expect(out.result.verified).toBe(true);
    // fault latencies are real, positive numbers
    expect(out.result.metrics.faultLatencyNs.p50).toBeGreaterThan(0);
    // memory samples of the restored process
    expect(out.result.metrics.rssBytes).toBeGreaterThan(0);
  });

  linuxTest('serves reactive copies on its native copier, never corrupting memory', async () => {
    // a uniform workload with compute between accesses: the push gets ahead of the faults
    const out = await run(new LinuxBackend(), 'uniform:pages=8192,accesses=4000,gapNs=20000', 'criu-lazy');
    const s = out.store;
    const m = out.result.metrics;
    expect(out.result.verified).toBe(true);
    expect(m.pagesCopied.background).toBeGreaterThan(0);
    // no page is copied twice
    const copied = m.pagesCopied.demand + m.pagesCopied.prefetch + m.pagesCopied.background + m.pagesCopied.precopy;
    expect(copied).toBeLessThanOrEqual(8192);
    expect(count(s, EventKind.CopyRejected, (i) => s.c[i] === RejectReason.OutOfRange)).toBe(0);
  });

  linuxTest('logs each reactive command landing in the native queue, after the fault it answers, before its copy', async () => {
    const echo: Strategy = { attach: (ctx) => ctx.faults$.pipe(map((f) => copyPages(f.pid, f.page + 1, 1))) };
    // faults 50 us apart: every command is asked for while its page is still lazy
    const out = await run(new LinuxBackend(), 'seq:pages=256,gapNs=50000', { name: 'echo', instance: echo });
    const s = out.store;
    expect(out.result.verified).toBe(true);
    const landed: number[] = [];
    for (let i = 0; i < s.length; i++) if (s.kind[i] === EventKind.CopyLanded) landed.push(i);
    expect(landed.length).toBeGreaterThan(0);
    expect(out.result.metrics.decisions).toBe(landed.length);
    for (const i of landed) {
      const reactsTo = s.c[i];
      const queued = s.d[i];
      expect(s.kind[reactsTo]).toBe(EventKind.FaultRaised);
      expect(s.a[reactsTo]).toBe(s.a[i] - 1);
      expect([s.kind[queued], s.a[queued], s.b[queued]]).toEqual([EventKind.CopyQueued, s.a[i], s.b[i]]);
      expect(queued).toBeLessThan(i);
      expect(s.t[i]).toBeGreaterThanOrEqual(s.t[reactsTo]);
      // what the command did (copied, or refused by the copier) comes after it landed
      const outcome = (j: number) =>
        s.a[j] === s.a[i] &&
        ((s.kind[j] === EventKind.PagesCopied && s.c[j] === CopyCause.Prefetch) ||
          (s.kind[j] === EventKind.CopyRejected && (s.c[j] === RejectReason.Eexist || s.c[j] === RejectReason.Enoent)));
      let first = -1;
      for (let j = queued + 1; j < s.length && first < 0; j++) if (outcome(j)) first = j;
      expect(first).toBeGreaterThan(i);
    }
  });

  linuxTest('reports what the process waited at each faulting access, never less than the server view', async () => {
    const out = await run(new LinuxBackend(), 'zipf:pages=2048,accesses=8000', 'demand-only');
    const s = out.store;
    const m = out.result.metrics;
    const stalled = new Map<number, number>();
    const served = new Map<number, number>();
    for (let i = 0; i < s.length; i++) {
      if (s.kind[i] === EventKind.FaultStalled) stalled.set(s.a[i], s.b[i]);
      if (s.kind[i] === EventKind.FaultResolved) served.set(s.a[i], s.b[i]);
    }
    expect(stalled.size).toBe(m.demandFaults);
    expect([...stalled.keys()].sort((a, b) => a - b)).toEqual([...served.keys()].sort((a, b) => a - b));
    for (const [page, waited] of stalled) expect(waited).toBeGreaterThanOrEqual(served.get(page)!);
    expect(m.stallNs).toBeGreaterThan(m.serverStallNs);
  });

  linuxTest('applies a plan-time stride rule inside each fault, with the simulator\'s demand faults', async () => {
    const stride: Strategy = { plan: (ctx) => ctx.faultRules(ctx.image.processes[0].pid, { stride: { stride: 2, count: 6 } }) };
    const linux = await run(new LinuxBackend(), 'stride:pages=2048,stride=2', { name: 'stride-rule', instance: stride });
    const sim = await run(new SimBackend(), 'stride:pages=2048,stride=2', { name: 'stride-rule', instance: stride });
    expect(linux.result.verified).toBe(true);
    expect(linux.result.metrics.demandFaults).toBe(sim.result.metrics.demandFaults);
    expect(linux.result.metrics.pagesCopied).toEqual(sim.result.metrics.pagesCopied);
    const demandOnly = await run(new SimBackend(), 'stride:pages=2048,stride=2', 'demand-only');
    expect(linux.result.metrics.demandFaults * 4).toBeLessThan(demandOnly.result.metrics.demandFaults);
  });

  linuxTest('replaces fault-time rules while the restore runs and logs when they took effect', async () => {
    const later: Strategy = {
      attach: (ctx) => ctx.workloadStarted$.pipe(map((e) => setFaultRules(e.pid, { stride: { stride: 1, count: 7 } }))),
    };
    // ~80 ms of workload: the rules arrive while it runs, however late the event loop hears of the start
    const out = await run(new LinuxBackend(), 'seq:pages=4096,gapNs=20000', { name: 'later', instance: later });
    const s = out.store;
    expect(out.result.verified).toBe(true);
    const set: number[] = [];
    for (let i = 0; i < s.length; i++) if (s.kind[i] === EventKind.FaultRulesSet) set.push(i);
    expect(set).toHaveLength(1);
    const at = set[0];
    expect([s.a[at], s.b[at], s.c[at]]).toEqual([1, 7, 0]);
    expect(s.kind[s.d[at]]).toBe(EventKind.WorkloadStarted);
    // before it, every page faults; after it, one page in eight, each bringing the next seven
    const before: number[] = [];
    const after: number[] = [];
    for (let i = 0; i < s.length; i++) if (s.kind[i] === EventKind.FaultRaised) (i < at ? before : after).push(s.a[i]);
    expect(after.length).toBeGreaterThan(16);
    for (let i = 1; i < before.length; i++) expect(before[i] - before[i - 1]).toBe(1);
    for (let i = 2; i < after.length; i++) expect(after[i] - after[i - 1]).toBe(8);
    expect(before.length + after.length).toBe(out.result.metrics.demandFaults);
    expect(out.result.metrics.pagesCopied.prefetch).toBe(4096 - out.result.metrics.demandFaults);
  });

  linuxTest('copies from the pages file without holding it: its mapped pages are dropped every 64 MiB the copies read', async () => {
    const backend = new LinuxBackend();
    const out = await run(backend, 'seq:pages=65536,gapNs=0', 'eager');
    expect(out.result.verified).toBe(true);
    expect(out.result.metrics.pagesCopied.precopy).toBe(65536);
    expect(backend.lastStats!.sourceDrops).toBeGreaterThanOrEqual(3);
  });

  linuxTest('restores a generated image whose last pages are zero from a fresh pages cache, twice (written, then reused)', async () => {
    // the backend's own cache (from the environment) and its native page writer
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-pages-cache-e2e-'));
    const was = process.env.RESTORELAB_PAGES_CACHE;
    process.env.RESTORELAB_PAGES_CACHE = dir;
    try {
      for (let i = 0; i < 2; i++) {
        const out = await run(new LinuxBackend(), 'seq:pages=64,zeroFraction=0.5,seed=1', 'eager');
        expect(out.result.verified).toBe(true);
      }
      expect(fs.readdirSync(dir)).toHaveLength(1);
    } finally {
      if (was === undefined) delete process.env.RESTORELAB_PAGES_CACHE;
      else process.env.RESTORELAB_PAGES_CACHE = was;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  linuxTest('checks a large process with several threads: the mismatches and the first of them as the simulator finds them', async () => {
    // seed 001 at 32768 pages: collapsed huge pages leave zero holes where pre-dumped pages were
    const spec = 'thp-predump:pages=32768';
    const linux = await run(new LinuxBackend(), spec, 'demand-only');
    const sim = await run(new SimBackend(), spec, 'demand-only');
    const firstMismatches = (st: EventStore) => {
      const pages: number[] = [];
      for (let i = 0; i < st.length; i++) if (st.kind[i] === EventKind.PageMismatch) pages.push(st.a[i]);
      return pages;
    };
    expect(linux.result.metrics.mismatchedPages).toBeGreaterThan(0);
    expect(linux.result.metrics.mismatchedPages).toBe(sim.result.metrics.mismatchedPages);
    expect(linux.result.metrics.verifiedPages).toBe(sim.result.metrics.verifiedPages);
    // Linux reports the lowest mismatching pages, in order, whichever thread found them; every
    // mismatch the simulator reports below the highest of them is among them
    const reported = firstMismatches(linux.store);
    expect(reported.length).toBe(Math.min(MAX_REPORTED_MISMATCHES, linux.result.metrics.mismatchedPages));
    for (let i = 1; i < reported.length; i++) expect(reported[i]).toBeGreaterThan(reported[i - 1]);
    const below = firstMismatches(sim.store).filter((p) => p <= reported[reported.length - 1]);
    expect(below.length).toBeGreaterThan(0);
    for (const p of below) expect(reported).toContain(p);
  });

  linuxTest('applies a strategy madvise command in the restored process', async () => {
    const strategy: Strategy = {
      attach: (ctx) =>
        ctx.workloadStarted$.pipe(
          take(1),
          map((e): StrategyCommand => madvise(e.pid, 0, 'hugepage')),
        ),
    };
    // ~100 ms, so the strategy hears of the start before the end even when the event loop is late
    const out = await run(new LinuxBackend(), 'seq:pages=1024,gapNs=100000', { name: 'advise-once', instance: strategy });
    const s = out.store;
    const applied = [];
    for (let i = 0; i < s.length; i++) if (s.kind[i] === EventKind.MadviseApplied) applied.push([s.a[i], s.b[i], s.c[i]]);
    expect(applied).toEqual([[0, 1, 1]]);
    expect(out.result.verified).toBe(true);
  });

  linuxTest('rejects copies of pages a demand fault already copied (EEXIST)', async () => {
    // asks for every page at the workload start, with background priority: the sequential
    // workload's faults race the copier; whichever loses is rejected, nothing is copied twice
    const strategy: Strategy = {
      attach: (ctx) =>
        ctx.workloadStarted$.pipe(
          take(1),
          map((e): StrategyCommand => copyPages(e.pid, 0, 4096, 'background')),
        ),
    };
    // long enough (~100 ms) that the strategy hears of the start before the end even when the
    // event loop is late (a command after the end is dropped, on both backends)
    const out = await run(new LinuxBackend(), 'seq:pages=4096,gapNs=20000', { name: 'push-all', instance: strategy });
    const m = out.result.metrics;
    expect(out.result.verified).toBe(true);
    const s = out.store;
    let rejected = 0;
    let late = 0;
    for (let i = 0; i < s.length; i++) {
      if (s.kind[i] !== EventKind.CopyRejected || s.d[i] !== CopyCause.Background) continue;
      if (s.c[i] === RejectReason.Eexist) rejected += s.b[i];
      // on a busy machine the workload may end before the copier is through: the rest finds no process
      else if (s.c[i] === RejectReason.Enoent) late += s.b[i];
    }
    expect(m.pagesCopied.demand + m.pagesCopied.background).toBe(4096);
    expect(m.pagesCopied.background + rejected + late).toBe(4096);
  });

  linuxTest('relocates a VMA that would cover the runner itself, keeping huge-page alignment (seed 001 still shows)', async () => {
    // without ASLR the runner's own text is at 0x555555554000: the image's first VMA claims that
    // 2 MiB. The runner must map it elsewhere at the same offset within 2 MiB (never over itself),
    // or khugepaged's collapse would not happen as in the simulator
    const workload = workloadFromSpec('thp-predump:pages=2048');
    const image = workload.image;
    const shift = 0x555555400000 - image.processes[0].vmas[0].start;
    const moved = {
      ...workload,
      image: {
        name: image.name,
        pageSize: image.pageSize,
        blobBytes: image.blobBytes,
        processes: image.processes.map((p) => ({ ...p, vmas: p.vmas.map((v) => ({ ...v, start: v.start + shift })) })),
        readPage: (pid: number, page: number, dst: Uint8Array) => image.readPage(pid, page, dst),
      },
    };
    let runnerPid = 0;
    let runnerMaps = '';
    const backend = new LinuxBackend({ native: wrappedRunner(['setarch', 'x86_64', '-R']), onRunnerStarted: (pid) => (runnerPid = pid) });
    // the root process is the runner itself: its map once the workload runs
    const look: Strategy = { attach: (ctx) => ctx.workloadStarted$.pipe(take(1), map(() => void (runnerMaps = fs.readFileSync(`/proc/${runnerPid}/maps`, 'utf8'))), ignoreElements()) };
    const go = (b: RestoreBackend) => runRestore({ backend: b, workload: moved, strategy: 'look', strategies: [{ name: 'look', spec: 'look', instance: look }], seed: 1, logPath: null });
    const linux = await go(backend);
    const sim = await go(new SimBackend());
    // its text in the 2 MiB the image claims (where in it depends on the runner's size)
    expect(runnerMaps).toMatch(/^555555[45][0-9a-f]{5}-\w+ r-xp .*restorelab-runner$/m);
    const want = moved.image.processes[0].vmas[0];
    const anon = [...runnerMaps.matchAll(/^(\w+)-(\w+) rw-p 00000000 00:00 0 *$/gm)].map((m) => [parseInt(m[1], 16), parseInt(m[2], 16)]);
    const placed = anon.filter(([from, to]) => to - from === want.pages * 4096 && from % 0x200000 === want.start % 0x200000);
    expect(placed.length).toBeGreaterThan(0);
    expect(placed.some(([from]) => from === want.start)).toBe(false);
    const collapsed = (st: EventStore) => count(st, EventKind.HugePageCollapsed);
    expect(collapsed(linux.store)).toBe(4);
    expect(collapsed(linux.store)).toBe(collapsed(sim.store));
    expect(linux.result.metrics.mismatchedPages).toBe(sim.result.metrics.mismatchedPages);
    expect(linux.result.metrics.mismatchedPages).toBeGreaterThan(0);
    expect(linux.result.metrics.demandFaults).toBe(sim.result.metrics.demandFaults);
  });

  linuxTest('follows mremap, MADV_DONTNEED and munmap of restored memory (non-cooperative events)', async () => {
    const out = await run(new LinuxBackend({ exerciseEvents: true }), 'seq:pages=4096,vmas=4', 'demand-only');
    const s = out.store;
    const vmas = workloadFromSpec('seq:pages=4096,vmas=4').image.processes[0].vmas;
    const events = (kind: number) => {
      const r: number[][] = [];
      for (let i = 0; i < s.length; i++) if (s.kind[i] === kind) r.push([s.a[i], s.b[i], s.c[i]]);
      return r;
    };
    expect(events(EventKind.VmaRemapped)).toEqual([[vmas[0].firstPage, vmas[0].pages, vmas[0].firstPage]]);
    expect(events(EventKind.VmaRemoved)).toEqual([[vmas[1].firstPage, 1, 0]]);
    expect(events(EventKind.VmaUnmapped)).toEqual([[vmas[2].firstPage, vmas[2].pages, 0]]);
    // the discarded page is read again: it is no longer lazy, the monitor maps the zero page
    const zero = events(EventKind.ZeroPageMapped);
    expect(zero).toEqual([[vmas[1].firstPage, 1, 0]]);
    expect(out.result.metrics.demandFaults).toBe(4096 + 1);
    expect(out.result.verified).toBe(true);
  });

  linuxTest('tears everything down when the run is aborted (SIGINT)', async () => {
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    let runnerPid = 0;
    let runDir = '';
    const ac = new AbortController();
    const backend = new LinuxBackend({
      onRunnerStarted: (pid, dir) => {
        runnerPid = pid;
        runDir = dir;
        setTimeout(() => ac.abort(), 300);
      },
    });
    await expect(run(backend, 'seq:pages=16384,gapNs=100000', 'demand-only', ac.signal)).rejects.toThrow(/interrupted/);
    expect(runnerPid).toBeGreaterThan(0);
    expect(isAlive(runnerPid)).toBe(false);
    expect(fs.existsSync(runDir)).toBe(false);
    expect(fs.readdirSync('/proc/self/fd').length).toBe(fdsBefore);
  });

  linuxTest('reports a runner that cannot restore the image, and cleans up', async () => {
    let runDir = '';
    // an address-space limit of 1.5 GiB: the runner maps the 1 GiB pages file, then cannot map
    // the 1 GiB VMA (zero pages: the pages file is a sparse file)
    const backend = new LinuxBackend({ native: wrappedRunner(['prlimit', `--as=${1536 << 20}`]), onRunnerStarted: (_pid, dir) => (runDir = dir) });
    const workload = workloadFromSpec('seq:pages=262144,vmas=1,accesses=16,zeroFraction=1');
    await expect(runRestore({ backend, workload, strategy: 'demand-only', strategies: [], seed: 1, logPath: null })).rejects.toThrow(
      /runner, pid 1: cannot (reserve|map)/,
    );
    expect(runDir).not.toBe('');
    expect(fs.existsSync(runDir)).toBe(false);
  });
});

describe('the fault thread', () => {
  linuxTest('is scheduled as the probe says it can be, and the run log says how', async () => {
    const backend = new LinuxBackend();
    const out = await run(backend, 'seq:pages=64', 'demand-only');
    const native = loadNative();
    if (!native.ok) throw new Error(native.reason);
    const expected = native.binding.probeFaultThread().policy;
    expect(backend.lastStats!.faultThreadPolicy).toBe(expected);
    expect(backend.describe().faultThread).toBe(expected);
    expect(out.result.metrics.demandFaults).toBe(64);
  });
});

describe('placement', () => {
  const cpusOf = (statusFile: string): string | undefined => {
    try {
      return /^Cpus_allowed_list:\s*(.+)$/m.exec(fs.readFileSync(statusFile, 'utf8'))?.[1];
    } catch {
      return undefined;
    }
  };
  const listOf = (mask: number) => [...Array(53).keys()].filter((c) => Math.floor(mask / 2 ** c) % 2 === 1).join(',');
  const threadCpus = (name: string): string | undefined => {
    for (const tid of fs.readdirSync('/proc/self/task')) {
      const status = `/proc/self/task/${tid}/status`;
      if (new RegExp(`^Name:\\s*${name}$`, 'm').test(fs.readFileSync(status, 'utf8'))) return cpusOf(status);
    }
    return undefined;
  };

  for (const placement of ['shared', 'spread'] as const) {
    linuxTest(`${placement}: the fault thread, the copier and the runner run where the plan says`, async () => {
      const seen: { runner?: string; fault?: string; copier?: string } = {};
      let watching = true;
      const backend = new LinuxBackend({
        placement,
        onRunnerStarted: (pid) => {
          const poll = () => {
            seen.runner = cpusOf(`/proc/${pid}/status`) ?? seen.runner;
            seen.fault = threadCpus('rl-fault') ?? seen.fault;
            seen.copier = threadCpus('rl-copier') ?? seen.copier;
            if (watching) setTimeout(poll, 1);
          };
          poll();
        },
      });
      const plan = backend.cpuPlan();
      const out = await run(backend, 'seq:pages=16384', 'demand-only');
      watching = false;
      expect(out.result.verified).toBe(true);
      expect(backend.describe().placement).toBe(plan.description);
      expect(plan.faultCpuMask).toBeGreaterThan(0);
      expect(seen).toEqual({ runner: listOf(plan.runnerCpuMask), fault: listOf(plan.faultCpuMask), copier: listOf(plan.copierCpuMask) });
    });
  }
});
