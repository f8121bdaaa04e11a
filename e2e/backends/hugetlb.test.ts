import { SimBackend } from '@restorelab/backend-sim';
import { CopyCause, DefaultStrategyRegistry, EventKind, EventStore, PAGES_PER_HUGE_PAGE, RestoreBackend, runRestore, UsageError, vmaOfPage, Workload } from '@restorelab/core';
import { builtInStrategies } from '@restorelab/strategies';
import { builtIn as workloadFromSpec, linuxUnavailableReason, LinuxBackend } from '@restorelab/backend-linux';

const skip = linuxUnavailableReason();
if (skip) console.warn(`hugetlb Linux tests skipped: ${skip}`);
const linuxTest = skip ? test.skip : test;
const registry = new DefaultStrategyRegistry({ getContributions: () => [...builtInStrategies] });

const SPEC = 'hugetlb:pages=4096,accesses=20000,vmas=2';

function run(backend: RestoreBackend, workload: Workload, strategy: string) {
  return runRestore({ backend, workload, strategy, strategies: registry.instantiate(strategy), seed: 1, logPath: null });
}

function rows(store: EventStore, kind: EventKind): [number, number, number][] {
  const s = store;
  const out: [number, number, number][] = [];
  for (let i = 0; i < s.length; i++) if (s.kind[i] === kind) out.push([s.a[i], s.b[i], s.c[i]]);
  return out;
}

/** Every copy into the hugetlb VMA is whole huge pages; returns how many copies went there. */
function expectWholeHugePages(workload: Workload, store: EventStore): number {
  const proc = workload.image.processes[0];
  let n = 0;
  for (const [page, count] of [...rows(store, EventKind.PagesCopied), ...rows(store, EventKind.PagesPrefilled)]) {
    if (!vmaOfPage(proc, page)!.hugetlb) continue;
    n++;
    expect([page % PAGES_PER_HUGE_PAGE, count % PAGES_PER_HUGE_PAGE]).toEqual([0, 0]);
  }
  return n;
}

// the hugetlb pool these runs take their huge pages from: jest's globalSetup (e2e/support/hugetlb-pool-setup.js)
describe('hugetlb VMAs', () => {
  test('the generator: the first VMA is hugetlb, 2 MiB aligned, every page content', () => {
    const w = workloadFromSpec(SPEC);
    const [huge, small] = w.image.processes[0].vmas;
    expect([huge.hugetlb, small.hugetlb]).toEqual([true, false]);
    expect(huge.start % (2 << 20)).toBe(0);
    expect(huge.pages).toBe(2048);
  });

  test('demand-only on the simulator: one fault per huge page touched, each a demand copy of the whole huge page', async () => {
    const w = workloadFromSpec(SPEC);
    const proc = w.image.processes[0];
    const trace = w.traces[0];
    const units = new Set<number>();
    const small = new Set<number>();
    for (let k = trace.migrateAt; k < trace.page.length; k++) {
      const p = trace.page[k];
      if (vmaOfPage(proc, p)!.hugetlb) units.add(Math.floor(p / PAGES_PER_HUGE_PAGE));
      else small.add(p);
    }
    const out = await run(new SimBackend(), w, 'demand-only');
    expect(out.result.metrics.demandFaults).toBe(units.size + small.size);
    const demand = rows(out.store, EventKind.PagesCopied).filter(([, , cause]) => cause === CopyCause.Demand);
    expect(demand.filter(([p]) => vmaOfPage(proc, p)!.hugetlb).map(([, n]) => n)).toEqual(new Array(units.size).fill(PAGES_PER_HUGE_PAGE));
    expectWholeHugePages(w, out.store);
  });

  test('a background push (criu-lazy) and a precopy (hot-first-precopy) copy whole huge pages on the simulator', async () => {
    for (const strategy of ['criu-lazy', 'hot-first-precopy', 'neighbor-prefetch:window=600']) {
      const w = workloadFromSpec(SPEC);
      const out = await run(new SimBackend(), w, strategy);
      expect(out.result.verified).toBe(true);
      expect(expectWholeHugePages(w, out.store)).toBeGreaterThan(0);
    }
  });

  for (const strategy of ['demand-only', 'eager', 'neighbor-prefetch:window=16', 'hot-first-precopy']) {
    linuxTest(`${strategy}: Linux restores the hugetlb VMA byte for byte with the simulator's faults`, async () => {
      const w = workloadFromSpec(SPEC);
      const linux = await run(new LinuxBackend(), w, strategy);
      const sim = await run(new SimBackend(), workloadFromSpec(SPEC), strategy);
      const m = linux.result.metrics;
      expect(m.mismatchedPages).toBe(0);
      expect(linux.result.verified).toBe(true);
      expect(m.demandFaults).toBe(sim.result.metrics.demandFaults);
      // a fault names its 4 KiB page (UFFD_FEATURE_EXACT_ADDRESS), in the order the process made them
      expect(rows(linux.store, EventKind.FaultRaised).map(([p]) => p)).toEqual(rows(sim.store, EventKind.FaultRaised).map(([p]) => p));
      expectWholeHugePages(w, linux.store);
      // the kernel leaves hugetlb pages out of Rss and Pss: the run's memory counts them
      expect(m.pssBytes).toBeGreaterThanOrEqual(2048 * 4096);
    });
  }

  linuxTest('criu-lazy: the copier pushes whole huge pages on Linux, verified', async () => {
    const w = workloadFromSpec(SPEC);
    const out = await run(new LinuxBackend(), w, 'criu-lazy');
    expect(out.result.metrics.mismatchedPages).toBe(0);
    expect(out.result.verified).toBe(true);
    expectWholeHugePages(w, out.store);
  });

  linuxTest('mremap, MADV_DONTNEED of a huge page and munmap: the discarded huge page comes back as zeros (no UFFDIO_ZEROPAGE on hugetlbfs)', async () => {
    const spec = 'hugetlb:pages=3072,vmas=3,hugetlbVmas=3,accesses=5000';
    const w = workloadFromSpec(spec);
    const out = await run(new LinuxBackend({ exerciseEvents: true }), w, 'demand-only');
    const [v0, v1, v2] = w.image.processes[0].vmas;
    expect(rows(out.store, EventKind.VmaRemapped)).toEqual([[v0.firstPage, v0.pages, v0.firstPage]]);
    expect(rows(out.store, EventKind.VmaRemoved)).toEqual([[v1.firstPage, PAGES_PER_HUGE_PAGE, 0]]);
    expect(rows(out.store, EventKind.VmaUnmapped)).toEqual([[v2.firstPage, v2.pages, 0]]);
    expect(rows(out.store, EventKind.ZeroPageMapped)).toEqual([[v1.firstPage, PAGES_PER_HUGE_PAGE, 0]]);
    expect(out.result.metrics.mismatchedPages).toBe(0);
    expect(out.result.verified).toBe(true);
  });

  test('the continue and move engines refuse an image with hugetlb VMAs in one line', async () => {
    for (const copyEngine of ['continue', 'move'] as const) {
      const w = workloadFromSpec(SPEC);
      await expect(
        runRestore({ backend: new SimBackend(), workload: w, strategy: 'demand-only', strategies: registry.instantiate('demand-only'), seed: 1, logPath: null, copyEngine }),
      ).rejects.toThrow(new UsageError(`--copy-engine ${copyEngine}: the image has hugetlb VMAs, which only the copy engine restores (UFFDIO_COPY of whole huge pages)`));
    }
  });
});
