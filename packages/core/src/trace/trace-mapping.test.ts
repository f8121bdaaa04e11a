import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { writeImage } from '../image/image-files';
import { PageFlag } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { fileWorkloads } from '../file-workloads/file-workloads';
import { builtInWorkloads } from '../workloads/built-in-workloads';
import { DefaultWorkloadRegistry } from '../workloads/workload-registry';
import { readTrace } from './read-trace';
import { imageFromTrace, vmasFromPages } from './trace-image';
import { tracesForImage, writeWorkloadTrace } from './trace-mapping';
import { TraceWriter } from './trace-writer';

const registry = new DefaultWorkloadRegistry({ getContributions: () => [...builtInWorkloads, ...fileWorkloads] });
const GENERATORS = builtInWorkloads.map((w) => w.name);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'restorelab-trace-map-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const same = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('traces and images', () => {
  it.each(GENERATORS)('%s: its trace written and read back onto its image is the workload trace, access for access', (name) => {
    const size = name === 'thp-predump' ? 'pages=1024' : name === 'forktree' ? 'pages=256,procs=3' : 'pages=1024,accesses=3000,sourceAccesses=500';
    const w = registry.create(`${name}:${size}`);
    const f = join(dir, `${name}.rltrace`);
    writeWorkloadTrace(w, f);
    const got = tracesForImage(readTrace(f), w.image);
    expect(got.length).toBe(w.traces.length);
    got.forEach((t, i) => {
      const want = w.traces[i];
      expect([t.pid, t.migrateAt, t.page.length]).toEqual([want.pid, want.migrateAt, want.page.length]);
      expect(same(t.page, want.page)).toBe(true);
      expect(same(t.write, want.write)).toBe(true);
      expect(same(t.gapNs, want.gapNs)).toBe(true);
    });
  });

  it('image:DIR restores the image with the trace image --out wrote, and trace:FILE,image=DIR the same', () => {
    const w = registry.create('forktree:pages=128,procs=3,accesses=200');
    writeImage(w.image, dir);
    writeWorkloadTrace(w, join(dir, 'trace.rltrace'));
    for (const spec of [`image:${dir}`, `trace:${join(dir, 'trace.rltrace')},image=${dir}`]) {
      const r = registry.create(spec);
      expect(r.image.processes.map((p) => p.pid)).toEqual([1, 2, 3]);
      r.traces.forEach((t, i) => expect(same(t.page, w.traces[i].page)).toBe(true));
      const a = new Uint8Array(PAGE_SIZE);
      const b = new Uint8Array(PAGE_SIZE);
      r.image.readPage(2, 77, a);
      w.image.readPage(2, 77, b);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    }
    expect(registry.create(`image:${dir},trace=`).spec).toBe(`image:dir=${dir},trace=,checksum=true`);
  });

  it('image:DIR without a trace has no accesses', () => {
    writeImage(registry.create('seq:pages=64').image, dir);
    const r = registry.create(`image:dir=${dir}`);
    expect(r.traces.map((t) => t.page.length)).toEqual([0]);
  });

  it('a trace of another image, or that reaches outside it, is one line', () => {
    const w = registry.create('seq:pages=64,accesses=10');
    writeImage(w.image, dir);
    const f = join(dir, 'other.rltrace');
    const t = new TraceWriter(f, { name: 'x', pageSize: PAGE_SIZE });
    t.process(1, null);
    t.access(1, 5, false, 0);
    t.close();
    expect(() => registry.create(`image:${dir},trace=${f}`)).toThrow(/trace .*other\.rltrace: access 0 of process 1 is at 0x5000, outside the image's VMAs/);
    const g = join(dir, 'pid.rltrace');
    const u = new TraceWriter(g, { name: 'x', pageSize: PAGE_SIZE });
    u.process(4, null);
    u.close();
    expect(() => registry.create(`image:${dir},trace=${g}`)).toThrow(/process 4 is not in image seq:.* \(pids 1\)/);
    expect(() => registry.create('image')).toThrow(/workload image needs a directory/);
    expect(() => registry.create(`image:${join(dir, 'none')}`)).toThrow(/image manifest .*none\/manifest\.json: cannot read it \(ENOENT\)/);
  });

  it('synthesises VMAs from the address gaps, contents for touched pages, COW sharing for what a child does not write', () => {
    expect(vmasFromPages(Float64Array.from([0x10, 0x11, 0x20, 0x200, 0x201]), 15, 'x').map((v) => [v.start / PAGE_SIZE, v.pages, v.firstPage])).toEqual([
      [0x10, 17, 0],
      [0x200, 2, 17],
    ]);
    const f = join(dir, 'fork.rltrace');
    const t = new TraceWriter(f, { name: 'fork', pageSize: PAGE_SIZE });
    t.process(10, null);
    t.process(11, 10, 2);
    for (const p of [0x100, 0x101, 0x105]) t.access(10, p, false, 0);
    t.migrate(10, 3);
    t.access(11, 0x101, true, 0);
    t.access(11, 0x105, false, 0);
    t.migrate(11, 2);
    t.access(11, 0x103, false, 0);
    t.close();
    const trace = readTrace(f);
    const image = imageFromTrace(trace, 'fork', 1);
    expect(image.processes.map((p) => [p.pid, p.parent, p.vmas.length, p.totalPages])).toEqual([
      [10, null, 1, 6],
      [11, 10, 1, 6],
    ]);
    const C = PageFlag.Content;
    const S = PageFlag.SharedWithParent;
    expect(Array.from(image.processes[0].pageFlags)).toEqual([C, C, 0, 0, 0, C]);
    expect(Array.from(image.processes[1].pageFlags)).toEqual([C | S, C, 0, C, 0, C | S]);
  });

  it('an image synthesised from a trace at the null page is not written (no restore would accept it)', () => {
    const f = join(dir, 'null.rltrace');
    const t = new TraceWriter(f, { name: 'null', pageSize: PAGE_SIZE });
    t.process(1, null);
    t.access(1, 0, false, 0);
    t.close();
    const image = imageFromTrace(readTrace(f), 'null', 1);
    const out = join(dir, 'img');
    expect(() => writeImage(image, out)).toThrow(/image null: process 1: VMA 0 starts at 0x0, below 0x10000 \(mmap_min_addr\)/);
    expect(() => readTrace(join(out, 'manifest.json'))).toThrow(/ENOENT/);
  });

  it('a fork after the parent\'s migrate marker is refused (a restore starts from the processes at the switch-over)', () => {
    const f = join(dir, 'late.rltrace');
    const t = new TraceWriter(f, { name: 'late', pageSize: PAGE_SIZE });
    t.process(1, null);
    t.process(2, 1, 5);
    for (let i = 0; i < 6; i++) t.access(1, 0x100 + i, false, 0);
    t.migrate(1, 3);
    t.close();
    expect(() => registry.create(`trace:${f}`)).toThrow(/process 2 is forked at access 5 of 1, after its migrate marker \(3\)/);
  });
});
