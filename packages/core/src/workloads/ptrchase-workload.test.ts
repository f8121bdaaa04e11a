import { builtInWorkloads } from './built-in-workloads';
import { DefaultWorkloadRegistry } from './workload-registry';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });

describe('ptrchase', () => {
  it('walks one cycle through every page from page 0, with a 1000 ns gap', () => {
    const t = registry.create('ptrchase:pages=5000,accesses=10000').traces[0];
    const restore = t.page.subarray(t.migrateAt);
    expect(restore[0]).toBe(0);
    expect(new Set(restore.subarray(0, 5000)).size).toBe(5000);
    expect(restore[5000]).toBe(0);
    expect(Array.from(restore.subarray(5000, 5100))).toEqual(Array.from(restore.subarray(0, 100)));
    expect(t.page[0]).toBe(0);
    expect(t.gapNs[0]).toBe(1000);
  });

  it('has no spatial locality: few steps go to a neighbouring page', () => {
    const t = registry.create('ptrchase:pages=5000,accesses=5000,sourceAccesses=0').traces[0];
    let near = 0;
    for (let i = 1; i < t.page.length; i++) if (Math.abs(t.page[i] - t.page[i - 1]) <= 8) near++;
    expect(near).toBeLessThan(50);
  });
});
