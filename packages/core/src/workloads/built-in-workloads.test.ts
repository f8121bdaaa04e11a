import { UsageError } from '../errors/usage-error';
import { PageFlag } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { builtInWorkloads } from './built-in-workloads';
import { HUGE_PAGE_BYTES, VMA_BASE } from './vma-layout';
import { DefaultWorkloadRegistry } from './workload-registry';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });
const NAMES = ['seq', 'stride', 'uniform', 'zipf', 'hotcold', 'ptrchase', 'forktree', 'thp-predump', 'hugetlb'];
const small = (name: string, extra = '') => `${name}:pages=2048,accesses=3000${extra}`;

describe('built-in workloads', () => {
  it('registers the nine generators, each with a description and a seed defaulting to 1', () => {
    expect(builtInWorkloads.map((w) => w.name)).toEqual(NAMES);
    for (const w of builtInWorkloads) {
      expect(w.description.length).toBeGreaterThan(10);
      expect(w.description).not.toContain('\n');
      expect(w.params.seed.default).toBe(1);
      for (const k of ['pages', 'accesses', 'vmas', 'gapNs', 'writeFraction', 'zeroFraction', 'sourceAccesses']) expect(w.params[k]).toBeDefined();
    }
  });

  it.each(NAMES)('%s is deterministic: same spec, identical traces and page bytes', (name) => {
    const a = registry.create(small(name, ',zeroFraction=0.1'));
    const b = registry.create(small(name, ',zeroFraction=0.1'));
    expect(a.spec).toBe(b.spec);
    expect(a.traces.length).toBe(b.traces.length);
    a.traces.forEach((t, i) => {
      const u = b.traces[i];
      expect(Buffer.from(t.page.buffer).equals(Buffer.from(u.page.buffer))).toBe(true);
      expect(Buffer.from(t.write.buffer).equals(Buffer.from(u.write.buffer))).toBe(true);
      expect(Buffer.from(t.gapNs.buffer).equals(Buffer.from(u.gapNs.buffer))).toBe(true);
      expect(t.migrateAt).toBe(u.migrateAt);
    });
    const x = new Uint8Array(PAGE_SIZE);
    const y = new Uint8Array(PAGE_SIZE);
    for (const p of a.image.processes) {
      expect(Buffer.from(p.pageFlags).equals(Buffer.from(b.image.processes.find((q) => q.pid === p.pid)!.pageFlags))).toBe(true);
      for (let page = 0; page < p.totalPages; page += 97) {
        a.image.readPage(p.pid, page, x);
        b.image.readPage(p.pid, page, y);
        expect(Buffer.from(x).equals(Buffer.from(y))).toBe(true);
      }
    }
  });

  it.each(NAMES)('%s: another seed gives another trace', (name) => {
    const a = registry.create(small(name));
    const b = registry.create(small(name, ',seed=2'));
    const differs = a.traces.some((t, i) => !Buffer.from(t.page.buffer).equals(Buffer.from(b.traces[i].page.buffer)));
    // seq and stride do not depend on the seed; their writes do.
    const writesDiffer = a.traces.some((t, i) => !Buffer.from(t.write.buffer).equals(Buffer.from(b.traces[i].write.buffer)));
    expect(differs || writesDiffer).toBe(true);
    if (name !== 'seq' && name !== 'stride') expect(differs).toBe(true);
  });

  it.each(NAMES)('%s: shapes of the image and traces follow the common parameters', (name) => {
    const w = registry.create(`${name}:pages=4096,accesses=5000,sourceAccesses=700,gapNs=333,vmas=2,writeFraction=0.5`);
    expect(w.name).toBe(name);
    expect(w.spec.startsWith(`${name}:pages=4096,accesses=5000,vmas=2,gapNs=333,writeFraction=0.5,zeroFraction=0,sourceAccesses=700`)).toBe(true);
    expect(w.spec.endsWith(',seed=1')).toBe(true);
    expect(w.traces.map((t) => t.pid)).toEqual(w.image.processes.map((p) => p.pid));
    let offset = 0;
    for (const p of w.image.processes) {
      expect(p.totalPages).toBe(4096);
      expect(p.blobOffset).toBe(offset);
      offset += p.totalPages * PAGE_SIZE;
      expect(p.vmas.length).toBe(2);
      expect(p.vmas[0].start).toBe(VMA_BASE);
      expect(p.vmas[1].start % HUGE_PAGE_BYTES).toBe(0);
      expect(p.vmas[1].start).toBeGreaterThanOrEqual(p.vmas[0].start + p.vmas[0].pages * PAGE_SIZE + HUGE_PAGE_BYTES);
      expect(p.vmas[0].pages + p.vmas[1].pages).toBe(4096);
      expect(p.vmas[1].firstPage).toBe(p.vmas[0].pages);
    }
    expect(w.image.blobBytes).toBe(offset);
    for (const t of w.traces) {
      expect(t.migrateAt).toBe(700);
      expect(t.page.length).toBe(5700);
      expect(t.write.length).toBe(5700);
      expect(Math.max(...t.page)).toBeLessThan(4096);
      expect(t.gapNs.every((g) => g === 333)).toBe(true);
    }
  });

  it('sourceAccesses defaults to half the restore-phase accesses; 0 gives no source phase', () => {
    expect(registry.create('uniform:pages=100,accesses=1001').traces[0].migrateAt).toBe(500);
    const t = registry.create('uniform:pages=100,accesses=10,sourceAccesses=0').traces[0];
    expect(t.migrateAt).toBe(0);
    expect(t.page.length).toBe(10);
  });

  it('writeFraction is the share of writes, zeroFraction the exact share of zero pages', () => {
    const w = registry.create('uniform:pages=10000,accesses=100000,writeFraction=0.25,zeroFraction=0.2');
    const t = w.traces[0];
    const writes = t.write.reduce((n, x) => n + x, 0);
    expect(writes / t.write.length).toBeGreaterThan(0.24);
    expect(writes / t.write.length).toBeLessThan(0.26);
    const flags = w.image.processes[0].pageFlags;
    expect(flags.filter((f) => (f & PageFlag.Content) === 0).length).toBe(2000);
    expect(registry.create('uniform:pages=100,writeFraction=0').traces[0].write.every((x) => x === 0)).toBe(true);
  });

  it('uniform touches pages evenly', () => {
    const t = registry.create('uniform:pages=64,accesses=64000,sourceAccesses=0').traces[0];
    const counts = new Array(64).fill(0);
    for (const p of t.page) counts[p]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });

  describe('parameter validation through DefaultWorkloadRegistry', () => {
    const fails = (spec: string, pattern: RegExp) => {
      expect(() => registry.create(spec)).toThrow(UsageError);
      expect(() => registry.create(spec)).toThrow(pattern);
    };
    it('names an unknown parameter and lists the known ones', () => fails('zipf:thetaa=1', /workload zipf: unknown parameter 'thetaa' \(known: pages, .*theta.*seed\)/));
    it('names a parameter of the wrong type', () => fails('seq:pages=lots', /parameter 'pages' must be an integer, got 'lots'/));
    it('names a parameter out of range', () => {
      fails('hotcold:hotFraction=1.5', /parameter 'hotFraction' must be <= 1/);
      fails('uniform:pages=0', /parameter 'pages' must be >= 1/);
      fails('uniform:sourceAccesses=-2', /parameter 'sourceAccesses' must be >= -1/);
    });
    it('refuses more VMAs than pages', () => fails('uniform:pages=3,vmas=4', /'vmas' \(4\) must not exceed 'pages' \(3\)/));
    it('refuses thp-predump pages that are not whole huge pages', () => {
      fails('thp-predump:pages=1000', /'pages' must be a multiple of 512/);
      fails('thp-predump:pages=512,vmas=2', /at least 512 per VMA/);
    });
    it('names an unknown workload', () => fails('zipff', /unknown workload 'zipff' \(known: seq, stride/));
  });
});
