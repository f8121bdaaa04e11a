import { PageFlag } from '../model/image';
import { PAGES_PER_HUGE_PAGE } from '../model/page';
import { builtInWorkloads } from './built-in-workloads';
import { DefaultWorkloadRegistry } from './workload-registry';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });

describe('thp-predump', () => {
  const w = registry.create('thp-predump');
  const p = w.image.processes[0];

  it('has two huge-page VMAs, 2 MiB aligned, whole huge pages, collapsed before registration', () => {
    expect(p.totalPages).toBe(16384);
    expect(p.vmas.length).toBe(2);
    for (const v of p.vmas) {
      expect(v.thp).toBe('hugepage');
      expect(v.collapseBeforeRegister).toBe(true);
      expect(v.pages % PAGES_PER_HUGE_PAGE).toBe(0);
      expect(v.start % (2 << 20)).toBe(0);
      expect(v.firstPage % PAGES_PER_HUGE_PAGE).toBe(0);
    }
  });

  it('pre-dumps 64 of every 512 pages, spread over each 2 MiB range', () => {
    for (let base = 0; base < p.totalPages; base += PAGES_PER_HUGE_PAGE) {
      const range = p.pageFlags.subarray(base, base + PAGES_PER_HUGE_PAGE);
      const pre = range.filter((f) => f & PageFlag.Precopied);
      expect(pre.length).toBe(64);
      expect(pre.every((f) => f & PageFlag.Content)).toBe(true);
      const idx = Array.from(range.keys()).filter((i) => range[i] & PageFlag.Precopied);
      expect(idx[idx.length - 1] - idx[0]).toBeGreaterThan(256);
    }
  });

  it('reads every page in the restore phase', () => {
    const t = w.traces[0];
    const restore = t.page.subarray(t.migrateAt);
    expect(restore.length).toBe(16384);
    expect(new Set(restore).size).toBe(16384);
    expect(t.write.every((x) => x === 0)).toBe(true);
  });

  it('first touches are reads even with writes asked for; extra accesses may write', () => {
    const t = registry.create('thp-predump:pages=1024,accesses=3000,sourceAccesses=0,writeFraction=0.5').traces[0];
    expect(new Set(t.page.subarray(0, 1024)).size).toBe(1024);
    expect(t.write.subarray(0, 1024).every((x) => x === 0)).toBe(true);
    const later = t.write.subarray(1024).reduce((n, x) => n + x, 0);
    expect(later).toBeGreaterThan(800);
  });

  it('predumpFraction sets the share per range', () => {
    const q = registry.create('thp-predump:pages=2048,vmas=1,predumpFraction=0.5').image.processes[0];
    expect(q.pageFlags.filter((f) => f & PageFlag.Precopied).length).toBe(1024);
    expect(q.vmas.length).toBe(1);
  });
});
