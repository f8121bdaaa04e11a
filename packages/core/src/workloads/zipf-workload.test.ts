import { builtInWorkloads } from './built-in-workloads';
import { Rng } from './random';
import { DefaultWorkloadRegistry } from './workload-registry';
import { ZipfSampler } from './zipf-workload';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });

describe('ZipfSampler', () => {
  it('matches the zipf probabilities of the first ranks', () => {
    const n = 1000;
    const theta = 0.99;
    const s = new ZipfSampler(n, theta);
    let total = 0;
    for (let k = 1; k <= n; k++) total += Math.pow(k, -theta);
    const rng = new Rng(42);
    const draws = 400000;
    const counts = new Uint32Array(n);
    for (let i = 0; i < draws; i++) counts[s.sample(rng)]++;
    for (const k of [0, 1, 2, 9]) {
      const expected = (Math.pow(k + 1, -theta) / total) * draws;
      expect(Math.abs(counts[k] - expected)).toBeLessThan(5 * Math.sqrt(expected));
    }
  });

  it('theta=0 is uniform and every rank is reachable', () => {
    const s = new ZipfSampler(8, 0);
    const rng = new Rng(3);
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 80000; i++) counts[s.sample(rng)]++;
    expect(Math.min(...counts)).toBeGreaterThan(9500);
    expect(Math.max(...counts)).toBeLessThan(10500);
  });

  it('handles one page', () => {
    const s = new ZipfSampler(1, 0.99);
    expect(s.sample(new Rng(1))).toBe(0);
  });
});

describe('zipf workload', () => {
  it('the head is far heavier than the tail, and hot pages are scattered', () => {
    const t = registry.create('zipf:pages=16384,accesses=200000,sourceAccesses=0').traces[0];
    const counts = new Uint32Array(16384);
    for (const p of t.page) counts[p]++;
    const sorted = Array.from(counts).sort((a, b) => b - a);
    const head = sorted.slice(0, 164).reduce((a, b) => a + b, 0); // hottest 1 %
    const tail = sorted.slice(8192).reduce((a, b) => a + b, 0); // coldest half
    expect(head).toBeGreaterThan(3 * tail);
    expect(head / 200000).toBeGreaterThan(0.4);
    // the 16 hottest pages are not the 16 first pages: the ranks are permuted
    const hottest = Array.from(counts.keys()).sort((a, b) => counts[b] - counts[a]).slice(0, 16);
    expect(hottest.filter((p) => p < 16).length).toBeLessThan(4);
    expect(Math.max(...hottest) - Math.min(...hottest)).toBeGreaterThan(4096);
  });

  it('the source phase has the same hot pages as the restore phase', () => {
    const t = registry.create('zipf:pages=4096,accesses=100000').traces[0];
    const top = (from: number, to: number) => {
      const c = new Uint32Array(4096);
      for (let i = from; i < to; i++) c[t.page[i]]++;
      return new Set(Array.from(c.keys()).sort((a, b) => c[b] - c[a]).slice(0, 8));
    };
    const src = top(0, t.migrateAt);
    const dst = top(t.migrateAt, t.page.length);
    expect([...src].filter((p) => dst.has(p)).length).toBeGreaterThanOrEqual(6);
  });

  it('higher theta is more skewed', () => {
    const share = (theta: number) => {
      const t = registry.create(`zipf:pages=4096,accesses=50000,sourceAccesses=0,theta=${theta}`).traces[0];
      const c = new Uint32Array(4096);
      for (const p of t.page) c[p]++;
      return Math.max(...c) / 50000;
    };
    expect(share(1.2)).toBeGreaterThan(share(0.99));
    expect(share(0.99)).toBeGreaterThan(share(0.5));
  });
});
