import { builtInWorkloads } from './built-in-workloads';
import { HotColdSets } from './hotcold-workload';
import { Rng, Stream } from './random';
import { DefaultWorkloadRegistry } from './workload-registry';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });

function topPages(page: Uint32Array, from: number, to: number, pages: number, k: number): Set<number> {
  const c = new Uint32Array(pages);
  for (let i = from; i < to; i++) c[page[i]]++;
  return new Set(Array.from(c.keys()).sort((a, b) => c[b] - c[a] || a - b).slice(0, k));
}

describe('HotColdSets', () => {
  it('phase windows are disjoint while they fit, and cold draws never hit the hot set', () => {
    const sets = new HotColdSets(100, 0.1, new Rng(9));
    expect(sets.hot).toBe(10);
    const h0 = new Set(sets.hotPages(0));
    const h1 = new Set(sets.hotPages(1));
    expect([...h1].filter((p) => h0.has(p)).length).toBe(0);
    const out = new Uint32Array(20000);
    sets.fill(out, 0, out.length, 0, 0, new Rng(1)); // every access cold
    expect(out.every((p) => !h0.has(p))).toBe(true);
    expect(new Set(out).size).toBe(90);
    sets.fill(out, 0, out.length, 1, 1, new Rng(1)); // every access hot
    expect(out.every((p) => h1.has(p))).toBe(true);
  });

  it('a hot set of every page leaves nothing cold', () => {
    const sets = new HotColdSets(10, 1, new Rng(1));
    const out = new Uint32Array(100);
    sets.fill(out, 0, 100, 3, 0.5, new Rng(2));
    expect(new Set(out).size).toBe(10);
  });
});

describe('hotcold workload', () => {
  const pages = 16384;
  const hot = 1638; // round(0.1 * pages)
  const t = registry.create(`hotcold:pages=${pages},accesses=200000,hotFraction=0.1,hotAccessFraction=0.9,phases=2`).traces[0];
  const restore0 = [t.migrateAt, t.migrateAt + 100000] as const;
  const restore1 = [t.migrateAt + 100000, t.page.length] as const;

  it('the hot set takes about hotAccessFraction of the accesses in each phase', () => {
    for (const [from, to] of [restore0, restore1]) {
      const set = topPages(t.page, from, to, pages, hot);
      let inHot = 0;
      for (let i = from; i < to; i++) if (set.has(t.page[i])) inHot++;
      const share = inHot / (to - from);
      expect(share).toBeGreaterThan(0.88);
      expect(share).toBeLessThan(0.92);
    }
  });

  it('the hot set moves between phases, and the source phase sees the first one', () => {
    const h0 = topPages(t.page, ...restore0, pages, hot);
    const h1 = topPages(t.page, ...restore1, pages, hot);
    const src = topPages(t.page, 0, t.migrateAt, pages, hot);
    const overlap = (a: Set<number>, b: Set<number>) => [...a].filter((p) => b.has(p)).length / hot;
    expect(overlap(h0, h1)).toBeLessThan(0.05);
    expect(overlap(src, h0)).toBeGreaterThan(0.95);
  });

  it('hotAccessFraction=0.5 halves the share', () => {
    const u = registry.create(`hotcold:pages=${pages},accesses=100000,hotFraction=0.1,hotAccessFraction=0.5,phases=1`).traces[0];
    const h = new HotColdSets(pages, 0.1, Rng.for(1, Stream.Permutation));
    const set = new Set(h.hotPages(0));
    let inHot = 0;
    for (let i = u.migrateAt; i < u.page.length; i++) if (set.has(u.page[i])) inHot++;
    expect(inHot / 100000).toBeGreaterThan(0.48);
    expect(inHot / 100000).toBeLessThan(0.52);
  });
});
