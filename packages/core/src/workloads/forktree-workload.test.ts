import { PageFlag } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { builtInWorkloads } from './built-in-workloads';
import { DefaultWorkloadRegistry } from './workload-registry';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });

function runs(flags: Uint8Array, bit: number): number {
  let n = 0;
  for (let i = 0; i < flags.length; i++) if (flags[i] & bit && (i === 0 || !(flags[i - 1] & bit))) n++;
  return n;
}

describe('forktree', () => {
  const w = registry.create('forktree:pages=2048');

  it('has a root (pid 1) and children 2..procs forked from it with the same VMA layout', () => {
    expect(w.image.processes.map((p) => [p.pid, p.parent])).toEqual([
      [1, null],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
    for (const p of w.image.processes) expect(p.vmas).toEqual(w.image.processes[0].vmas);
    expect(w.image.processes[0].pageFlags.every((f) => f === PageFlag.Content)).toBe(true);
  });

  it('flags sharedFraction of each child page as shared, in contiguous runs', () => {
    for (const p of w.image.processes.slice(1)) {
      const shared = p.pageFlags.filter((f) => f & PageFlag.SharedWithParent).length;
      expect(shared).toBe(0.75 * 2048);
      expect(runs(p.pageFlags, PageFlag.SharedWithParent)).toBeLessThanOrEqual(4); // one run per 512-page block
      expect(p.pageFlags.every((f) => f & PageFlag.Content)).toBe(true);
    }
    const [, a, b] = w.image.processes;
    expect(Buffer.from(a.pageFlags).equals(Buffer.from(b.pageFlags))).toBe(false);
  });

  it("a child's shared page has exactly the root's bytes; its private pages differ", () => {
    const root = new Uint8Array(PAGE_SIZE);
    const mine = new Uint8Array(PAGE_SIZE);
    for (const p of w.image.processes.slice(1)) {
      let sharedChecked = 0;
      let privateChecked = 0;
      for (let page = 0; page < p.totalPages; page++) {
        w.image.readPage(1, page, root);
        w.image.readPage(p.pid, page, mine);
        const same = Buffer.from(root).equals(Buffer.from(mine));
        if (p.pageFlags[page] & PageFlag.SharedWithParent) {
          expect(same).toBe(true);
          sharedChecked++;
        } else {
          expect(same).toBe(false);
          expect(new Uint32Array(mine.buffer)[1]).toBe(p.pid);
          privateChecked++;
        }
      }
      expect(sharedChecked).toBe(1536);
      expect(privateChecked).toBe(512);
    }
  });

  it('every process touches every page, mostly reading', () => {
    expect(w.traces.length).toBe(4);
    for (const t of w.traces) {
      const restore = t.page.subarray(t.migrateAt);
      expect(restore.length).toBe(2048);
      expect(new Set(restore).size).toBe(2048);
      const writes = t.write.reduce((n, x) => n + x, 0) / t.write.length;
      expect(writes).toBeGreaterThan(0.02);
      expect(writes).toBeLessThan(0.09);
    }
    expect(Buffer.from(w.traces[1].page.buffer).equals(Buffer.from(w.traces[2].page.buffer))).toBe(false);
  });

  it('a zero page of the root stays zero in the children that share it', () => {
    const z = registry.create('forktree:pages=1024,procs=2,zeroFraction=0.5,sharedFraction=1');
    const [root, child] = z.image.processes;
    for (let i = 0; i < 1024; i++) expect(child.pageFlags[i] & PageFlag.Content).toBe(root.pageFlags[i] & PageFlag.Content);
    expect(child.pageFlags.every((f) => f & PageFlag.SharedWithParent)).toBe(true);
  });

  it('procs=1 is a single process', () => {
    expect(registry.create('forktree:pages=64,procs=1').image.processes.length).toBe(1);
  });
});
