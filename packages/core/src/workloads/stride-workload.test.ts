import { builtInWorkloads } from './built-in-workloads';
import { DefaultWorkloadRegistry } from './workload-registry';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });

describe('stride', () => {
  it('goes p, p+stride, ... and wraps to the next offset', () => {
    const t = registry.create('stride:pages=10,stride=4,accesses=12,sourceAccesses=0').traces[0];
    expect(Array.from(t.page)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 3, 7, 0, 4]);
  });

  it('one sweep of `pages` accesses touches every page once', () => {
    const t = registry.create('stride:pages=1000,stride=7,accesses=1000,sourceAccesses=0').traces[0];
    expect(new Set(t.page).size).toBe(1000);
  });

  it('a stride larger than the pages degenerates to sequential order', () => {
    const t = registry.create('stride:pages=5,stride=100,accesses=6,sourceAccesses=0').traces[0];
    expect(Array.from(t.page)).toEqual([0, 1, 2, 3, 4, 0]);
  });
});
