import { builtInWorkloads } from './built-in-workloads';
import { DefaultWorkloadRegistry } from './workload-registry';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });

describe('seq', () => {
  it('touches each page exactly once in address order when accesses == pages (the default)', () => {
    const t = registry.create('seq:pages=1000,vmas=3').traces[0];
    expect(t.migrateAt).toBe(500);
    const restore = t.page.subarray(t.migrateAt);
    expect(restore.length).toBe(1000);
    restore.forEach((p, i) => expect(p).toBe(i));
  });

  it('wraps around, and the source phase walks from page 0 too', () => {
    const t = registry.create('seq:pages=10,accesses=25,sourceAccesses=12').traces[0];
    expect(Array.from(t.page.subarray(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(Array.from(t.page.subarray(12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4]);
  });
});
