import * as fs from 'fs';
import { SimBackend } from '@restorelab/backend-sim';
import { DefaultStrategyRegistry, EventKind, EventStore, RestoreBackend, runRestore, Workload } from '@restorelab/core';
import { builtInStrategies } from '@restorelab/strategies';
import { builtIn as workloadFromSpec, linuxUnavailableReason, LinuxBackend } from '@restorelab/backend-linux';

const skip = linuxUnavailableReason();
if (skip) console.warn(`pre-copy round tests skipped: ${skip}`);
const linuxTest = skip ? test.skip : test;
const registry = new DefaultStrategyRegistry({ getContributions: () => [...builtInStrategies] });

function run(backend: RestoreBackend, spec: string, strategy: string) {
  return runRestore({ backend, workload: workloadFromSpec(spec), strategy, strategies: registry.instantiate(strategy), seed: 1, logPath: null });
}

function rows(store: EventStore, kind: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < store.length; i++) if (store.kind[i] === kind) out.push([i, store.a[i], store.b[i], store.c[i], store.d[i]]);
  return out;
}

/**
 * A hot set the source phase writes in its first quarter and its last 5% (reads in between), in a
 * pass (~45 ms) longer than round 1: round 1 sees the first quarter's writes, the rounds after it
 * at most the last writes, so the dirty set shrinks however slow a round or a decision is on a
 * loaded machine (with writes all through the pass it need not: a slow decision sees more).
 */
function hotcold(): Workload {
  const w = workloadFromSpec('hotcold:pages=8192,accesses=10000,sourceAccesses=4096,gapNs=10000');
  const t = w.traces[0];
  const write = t.write.slice();
  for (let k = Math.floor(t.migrateAt / 4); k < Math.floor(t.migrateAt * 0.95); k++) write[k] = 0;
  return { ...w, traces: [{ ...t, write }] };
}

/** Seed 001: the first pass of the source phase reads every page, the second writes; huge-page VMAs collapsed before registration. */
const THP = 'thp-predump:pages=8192,sourceAccesses=16384,gapNs=2000';

describe('pre-copy rounds with write-protect dirty tracking', () => {
  linuxTest('re-send what the source wrote, round by round, and verify on both backends', async () => {
    const workload = hotcold();
    for (const backend of [new LinuxBackend(), new SimBackend()]) {
      const strategy = 'hybrid-precopy:maxRounds=4,switchBelow=0';
      const { store, result } = await runRestore({ backend, workload, strategy, strategies: registry.instantiate(strategy), seed: 1, logPath: null });
      const name = backend.name;
      const r = rows(store, EventKind.PrecopyRound);
      expect([name, r.map((x) => x[1])]).toEqual([name, [1, 2, 3, 4].slice(0, r.length)]);
      expect(r.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < r.length; i++) expect(r[i][2]).toBe(r[i - 1][3]);
      const dirty = r.map((x) => x[3]);
      expect([name, dirty[dirty.length - 1] < dirty[0]]).toEqual([name, true]);
      const [sw] = rows(store, EventKind.SwitchOver);
      const dropped = rows(store, EventKind.PagesDiscarded);
      expect(dropped.reduce((n, x) => n + x[2], 0)).toBe(sw[2]);
      expect(sw[2]).toBeGreaterThanOrEqual(dirty[dirty.length - 1]);
      expect(sw[4]).toBeGreaterThanOrEqual(1);
      const [registered] = rows(store, EventKind.VmaRegistered);
      expect(dropped.every((x) => x[0] < registered[0])).toBe(true);
      expect([name, result.metrics.mismatchedPages, result.verified]).toEqual([name, 0, true]);
      expect(result.metrics.precopy).toMatchObject({ rounds: r.length, dirtyPages: dirty, discardedPages: sw[2] });
      // the dropped pages come back by post-copy: a demand fault, or the neighbour window of one
      expect(result.metrics.demandFaults).toBeGreaterThan(0);
      expect(result.metrics.demandFaults).toBeLessThanOrEqual(sw[2]);
    }
  });

  linuxTest('seed 001 on thp-predump: 0 mismatches with hybrid-precopy alone and with thp-guard, the collapse over holes without the guard', async () => {
    for (const backend of [new LinuxBackend(), new SimBackend()]) {
      const name = backend.name;
      const guarded = await run(backend, THP, 'hybrid-precopy');
      const both = await run(backend, THP, 'thp-guard,hybrid-precopy');
      const bare = await run(backend, THP, 'hybrid-precopy:guardThp=false');
      const dropped = bare.result.metrics.precopy!.discardedPages;
      expect([name, dropped > 100]).toEqual([name, true]);
      for (const out of [guarded, both]) {
        expect([name, out.result.metrics.mismatchedPages, out.result.verified]).toEqual([name, 0, true]);
        expect(rows(out.store, EventKind.HugePageCollapsed)).toEqual([]);
        // the backend and the rounds in the message: a CI run once saw no demand fault here
        const p = out.result.metrics.precopy!;
        expect([name, p.rounds, p.discardedPages, out.result.metrics.demandFaults > 0]).toEqual([name, p.rounds, p.discardedPages, true]);
      }
      // the dropped pages were holes the collapse filled with zeros: every one of them differs
      expect(rows(bare.store, EventKind.HugePageCollapsed).length).toBeGreaterThan(0);
      expect([name, bare.result.metrics.mismatchedPages, bare.result.verified]).toEqual([name, dropped, false]);
    }
  });

  linuxTest('a source that dies mid-round stops the restore before the process runs, with one line', async () => {
    let runDir = '';
    const backend = new LinuxBackend({
      onRunnerStarted: (_pid, dir) => {
        runDir = dir;
        const source = fs
          .readdirSync('/proc')
          .filter((p) => /^\d+$/.test(p))
          .find((p) => {
            try {
              return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').includes(`--precopy-source ${dir}`);
            } catch {
              return false;
            }
          });
        if (source) setTimeout(() => process.kill(Number(source), 'SIGKILL'), 20);
      },
    });
    // round 1 of 128 MiB takes far longer than 20 ms
    const err = await run(backend, 'hotcold:pages=32768,accesses=1000,sourceAccesses=4096', 'hybrid-precopy').then(
      () => new Error('the restore went on'),
      (e: Error) => e,
    );
    // the runner fails in the rounds, before its registration: the process never ran on a hole
    expect(err.message).toMatch(/^(the pre-copy source was killed by SIGKILL|runner, pid 1: the pre-copy source went away)/);
    expect(err.message).not.toMatch(/\n/);
    expect(runDir).not.toBe('');
    expect(fs.existsSync(runDir)).toBe(false);
  });

  linuxTest('over a link: the rounds go at its bandwidth, the dirty sets stop shrinking, both backends agree', async () => {
    // 500 Mbit/s: round 1's 16 MiB take 268 ms, round 2's ~256 pages ~17 ms, a pass of the source
    // phase ~3 ms: the source writes its whole hot set again in every round, however loaded the machine
    const link = { latencyUs: 200, bandwidth: 62.5e6, channels: 2 as const };
    const w = workloadFromSpec('hotcold:pages=4096,accesses=20000,sourceAccesses=1024,gapNs=2000');
    const outs = [];
    for (const backend of [new LinuxBackend(), new SimBackend()]) {
      const out = await runRestore({ backend, workload: w, strategy: 'hybrid-precopy', strategies: registry.instantiate('hybrid-precopy'), seed: 1, logPath: null, link });
      const r = rows(out.store, EventKind.PrecopyRound);
      expect(r[0][4]).toBeGreaterThanOrEqual((r[0][2] * 4096 * 1e9) / link.bandwidth);
      expect(out.result.metrics.precopy).toMatchObject({ rounds: 2, switchReason: 'not-shrinking' });
      expect([backend.name, out.result.metrics.mismatchedPages, out.result.verified]).toEqual([backend.name, 0, true]);
      outs.push(out.result.metrics);
    }
    const [linux, sim] = outs;
    expect(linux.precopy!.dirtyPages).toEqual(sim.precopy!.dirtyPages);
    expect(linux.precopy!.discardedPages).toBe(sim.precopy!.discardedPages);
    expect(linux.demandFaults).toBe(sim.demandFaults);
  });

  linuxTest('refuses pre-copy rounds with another copy engine, in one line', async () => {
    const w = workloadFromSpec('hotcold:pages=1024,sourceAccesses=256');
    const go = (extra: object) =>
      runRestore({ backend: new LinuxBackend(), workload: w, strategy: 'hybrid-precopy', strategies: registry.instantiate('hybrid-precopy'), seed: 1, logPath: null, ...extra });
    await expect(go({ copyEngine: 'continue' })).rejects.toThrow(/^pre-copy rounds \(hybrid-precopy\) place pages with the copy engine only: drop --copy-engine continue$/);
  });
});
