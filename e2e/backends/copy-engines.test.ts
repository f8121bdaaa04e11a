import { SimBackend } from '@restorelab/backend-sim';
import { CopyEngine, DefaultStrategyRegistry, EventKind, RestoreBackend, runRestore } from '@restorelab/core';
import { builtInStrategies } from '@restorelab/strategies';
import { builtIn as workloadFromSpec, linuxUnavailableReason, LinuxBackend } from '@restorelab/backend-linux';

const skip = linuxUnavailableReason();
if (skip) console.warn(`copy engine tests skipped: ${skip}`);
const linuxTest = skip ? test.skip : test;
const registry = new DefaultStrategyRegistry({ getContributions: () => [...builtInStrategies] });

function run(backend: RestoreBackend, spec: string, strategy: string, copyEngine: CopyEngine) {
  return runRestore({ backend, workload: workloadFromSpec(spec), strategy, strategies: registry.instantiate(strategy), seed: 1, logPath: null, copyEngine });
}

/** Every built-in generator, small; thp-predump with the guard that keeps its collapse from making zero holes. */
const WORKLOADS: readonly [string, string][] = [
  ['seq:pages=2048', 'demand-only'],
  ['stride:pages=2048,accesses=6000', 'neighbor-prefetch:window=8'],
  ['uniform:pages=2048,accesses=6000', 'demand-only'],
  ['zipf:pages=2048,accesses=6000', 'eager'],
  ['hotcold:pages=2048,accesses=6000', 'hot-first-precopy'],
  ['ptrchase:pages=2048', 'demand-only'],
  ['forktree:pages=1024,procs=3', 'cow-aware,demand-only'],
  ['forktree:pages=1024,procs=3,writeFraction=0.5', 'eager'],
  ['thp-predump:pages=2048', 'thp-guard,demand-only'],
];

describe('copy engines restore every built-in workload byte for byte', () => {
  for (const engine of ['continue', 'move'] as const) {
    for (const [spec, strategy] of WORKLOADS) {
      linuxTest(`${engine}: ${spec} with ${strategy}`, async () => {
        const copy = await run(new LinuxBackend(), spec, strategy, 'copy');
        const out = await run(new LinuxBackend(), spec, strategy, engine);
        const m = out.result.metrics;
        expect(m.mismatchedPages).toBe(0);
        expect(m.unrestoredPages).toBe(copy.result.metrics.unrestoredPages);
        expect(out.result.verified).toBe(true);
        expect(m.verifiedPages).toBe(copy.result.metrics.verifiedPages);
        // the strategies here decide at plan time or at fault time: the same faults whatever places the pages
        expect(m.demandFaults).toBe(copy.result.metrics.demandFaults);
        expect(out.meta.backendInfo?.copyEngine).toBe(engine);
      });
    }
  }
});

describe('copy engines and the non-cooperative events', () => {
  for (const engine of ['continue', 'move'] as const) {
    linuxTest(`${engine}: follows mremap, MADV_DONTNEED and munmap of restored memory`, async () => {
      const out = await run(new LinuxBackend({ exerciseEvents: true }), 'seq:pages=4096,vmas=4', 'demand-only', engine);
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
      expect(events(EventKind.ZeroPageMapped)).toEqual([[vmas[1].firstPage, 1, 0]]);
      expect(out.result.metrics.demandFaults).toBe(4096 + 1);
      expect(out.result.verified).toBe(true);
    });
  }
});

describe('the simulator charges each engine its costs', () => {
  const cost = { ...new SimBackend().costModel, cowPageNs: 5000 };
  const workload = (writeFraction: number) => `seq:pages=1024,vmas=1,writeFraction=${writeFraction}`;
  const workloadNs = async (engine: CopyEngine, writeFraction: number) =>
    (await run(new SimBackend(cost), workload(writeFraction), 'eager', engine)).result.metrics.workloadNs;

  test('continue: the first write to each page placed from the page cache is a copy-on-write fault', async () => {
    const writes = workloadFromSpec(workload(1)).traces[0].write;
    const written = new Set<number>();
    const trace = workloadFromSpec(workload(1)).traces[0];
    for (let k = trace.migrateAt; k < trace.page.length; k++) if (writes[k]) written.add(trace.page[k]);
    expect(written.size).toBeGreaterThan(500);
    expect((await workloadNs('continue', 1)) - (await workloadNs('continue', 0))).toBe(written.size * cost.cowPageNs);
    expect((await workloadNs('copy', 1)) - (await workloadNs('copy', 0))).toBe(0);
    expect((await workloadNs('move', 1)) - (await workloadNs('move', 0))).toBe(0);
  });

  test("an eager restore costs the engine's per-call and per-page placement", async () => {
    const metrics = async (engine: CopyEngine) => (await run(new SimBackend(cost), workload(0), 'eager', engine)).result.metrics;
    const [copy, cont, move] = [await metrics('copy'), await metrics('continue'), await metrics('move')];
    expect(cont.copyCalls).toBe(copy.copyCalls);
    expect(move.copyCalls).toBe(copy.copyCalls);
    const extraNs = (callNs: number, pageNs: number) => copy.copyCalls * (callNs - cost.copyCallNs) + 1024 * (pageNs - cost.copyPageNs);
    expect(cont.restoreNs - copy.restoreNs).toBeCloseTo(extraNs(cost.continueCallNs, cost.cacheFillPageNs + cost.continuePageNs), -2);
    expect(move.restoreNs - copy.restoreNs).toBeCloseTo(extraNs(cost.moveCallNs, cost.stagePageNs + cost.movePageNs), -2);
  });
});
