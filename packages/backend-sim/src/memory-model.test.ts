import { PageFlag, PAGE_SIZE, Strategy } from '@restorelab/core';
import { attached, events, handWorkload, ofKind, simulate } from './__fixtures__/hand-made';

describe('THP collapse before registration (seed 001)', () => {
  const precopied = (i: number) => i < 64 || i === 600 || i === 601;
  const flags = (i: number) => (i >= 100 && i < 110 ? 0 : PageFlag.Content) | (precopied(i) ? PageFlag.Precopied : 0);
  // 700 pages: one whole 2 MiB range (0..511) and a tail that is not a huge page
  const w = handWorkload([
    { pid: 1, vmas: [{ pages: 700, thp: 'hugepage', collapse: true }], flags, accesses: Array.from({ length: 700 }, (_, i) => i) },
  ]);

  it('collapses a hugepage range with a present page: its holes are zero pages that never fault and mismatch', async () => {
    const { store, result } = await simulate(w);
    const collapsed = ofKind(store, 'HugePageCollapsed');
    expect(collapsed.map((e) => [e.pid, e.a, e.b, e.c])).toEqual([[1, 0, 0, 512]]);
    const kinds = events(store).map((e) => e.kind);
    expect(kinds.indexOf('HugePageCollapsed')).toBeGreaterThan(kinds.indexOf('PagesPrefilled'));
    expect(kinds.indexOf('HugePageCollapsed')).toBeLessThan(kinds.indexOf('VmaRegistered'));
    const x = result.metrics;
    // only the tail faults: 700 - 512 pages minus its two pre-dumped ones
    expect(x.demandFaults).toBe(700 - 512 - 2);
    // the content pages of the collapsed range that were not pre-dumped; the 10 zero pages are right
    expect(x.mismatchedPages).toBe(512 - 64 - 10);
    const mism = ofKind(store, 'PageMismatch').map((e) => e.a);
    expect(mism).toEqual([...range(64, 100), ...range(110, 138)]);
    expect(ofKind(store, 'PagesVerified').map((e) => [e.a, e.b, e.c])).toEqual([[700, 438, 0]]);
    expect(result.verified).toBe(false);
  });

  it('MADV_NOHUGEPAGE before the fill prevents it; advice restored after registration is harmless', async () => {
    const guard: Strategy = {
      plan(ctx) {
        ctx.adviseBeforeFill(1, 0, 'nohugepage');
        ctx.adviseAfterRegister(1, 0, 'hugepage');
      },
    };
    const { store, result } = await simulate(w, [attached('thp-guard', guard)]);
    expect(ofKind(store, 'HugePageCollapsed')).toEqual([]);
    expect(result.metrics.demandFaults).toBe(700 - 66);
    expect(result.metrics.zeroPages).toBe(10);
    expect(result.metrics.mismatchedPages).toBe(0);
    expect(result.verified).toBe(true);
  });

  it('reports mismatches in the order they were found: first touches, then untouched pages ascending', async () => {
    const w2 = handWorkload([
      {
        pid: 1,
        vmas: [{ pages: 512, thp: 'hugepage', collapse: true }],
        flags: (i) => PageFlag.Content | (i === 0 ? PageFlag.Precopied : 0),
        accesses: [300, 200, 100, [0, 'w']],
      },
    ]);
    const { store } = await simulate(w2);
    const mism = ofKind(store, 'PageMismatch').map((e) => e.a);
    expect(mism).toEqual([300, 200, 100, ...range(1, 62)]);
    expect(ofKind(store, 'PagesVerified').map((e) => [e.a, e.b, e.c])).toEqual([[512, 511, 0]]);
  });

  it('advice given only after registration is too late', async () => {
    const late: Strategy = { plan: (ctx) => ctx.adviseAfterRegister(1, 0, 'nohugepage') };
    const { result } = await simulate(w, [attached('late', late)]);
    expect(result.metrics.mismatchedPages).toBe(438);
    expect(result.verified).toBe(false);
  });

  it('a child inherits the zero holes of a collapsed range it shares', async () => {
    const tree = handWorkload([
      { pid: 1, vmas: [{ pages: 512, thp: 'hugepage', collapse: true }], flags: (i) => PageFlag.Content | (i === 0 ? PageFlag.Precopied : 0) },
      { pid: 2, parent: 1, vmas: [512], flags: (i) => PageFlag.Content | (i < 8 ? PageFlag.SharedWithParent : 0), accesses: [0, 1] },
    ]);
    const { store } = await simulate(tree);
    const v = ofKind(store, 'PagesVerified').map((e) => [e.pid, e.a, e.b, e.c]);
    // pid 1 has no accesses: it ends as soon as the workload starts
    expect(v).toEqual([
      [1, 512, 511, 0],
      [2, 8, 7, 504],
    ]);
  });
});

describe('COW sharing and PSS', () => {
  const shared = (n: number) => (i: number) => PageFlag.Content | (i < n ? PageFlag.SharedWithParent : 0);
  const w = handWorkload([
    { pid: 1, vmas: [8], flags: (i) => PageFlag.Content | (i < 6 ? PageFlag.Precopied : 0), accesses: [0, 1, 2, 3, 4, 5, 6, 7] },
    { pid: 2, parent: 1, vmas: [8], flags: shared(4), accesses: [[0, 'w'], 4, 5, 6, 7] },
    { pid: 3, parent: 1, vmas: [8], flags: shared(2), accesses: [1], gapNs: 1000 },
  ]);

  it('splits shared pages across their sharers until a write breaks the sharing', async () => {
    const base = 1000;
    const { store, result } = await simulate(w, [], { processBaseBytes: base });
    expect(ofKind(store, 'PagesPrefilled').map((e) => [e.pid, e.a, e.b, e.c])).toEqual([
      [1, 0, 6, 0],
      [2, 0, 4, 2],
      [3, 0, 2, 2],
    ]);
    const P = PAGE_SIZE;
    const mem = Object.fromEntries(ofKind(store, 'MemorySampled').map((e) => [e.pid, [e.a, e.b, e.c]]));
    // pid 3 (ends first): page 0 shared by 1 and 3 (2 wrote it), page 1 by 1, 2 and 3
    expect(mem[3]).toEqual([2 * P + base, Math.round(P / 2 + P / 3) + base, base]);
    // pid 2: 0 is its own copy, 4..7 faulted in; 1 shared by three, 2 and 3 by two
    expect(mem[2]).toEqual([8 * P + base, Math.round(5 * P + P / 3 + P) + base, 5 * P + base]);
    // pid 1: 0 shared with 3, 1 with 2 and 3, 2 and 3 with 2; 4..7 private
    expect(mem[1]).toEqual([8 * P + base, Math.round(4 * P + P / 2 + P / 3 + P) + base, 4 * P + base]);
    expect(result.metrics.demandFaults).toBe(2 + 4);
    expect(result.metrics.pssBytes).toBe(mem[1][1] + mem[2][1] + mem[3][1]);
    expect(result.verified).toBe(true);
  });

  it('a shared page the parent did not have is not inherited: the child faults it in privately', async () => {
    const w2 = handWorkload([
      { pid: 1, vmas: [4], flags: (i) => PageFlag.Content | (i === 0 ? PageFlag.Precopied : 0) },
      { pid: 2, parent: 1, vmas: [4], flags: shared(4), accesses: [0, 1] },
    ]);
    const { store, result } = await simulate(w2);
    expect(ofKind(store, 'FaultRaised').map((e) => [e.pid, e.a])).toEqual([[2, 1]]);
    const mem = ofKind(store, 'MemorySampled').find((e) => e.pid === 2)!;
    expect([mem.a, mem.b, mem.c]).toEqual([2 * PAGE_SIZE, PAGE_SIZE + PAGE_SIZE / 2, PAGE_SIZE]);
    expect(result.verified).toBe(true);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
