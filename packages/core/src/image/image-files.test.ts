import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Image, PageFlag } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { UsageError } from '../errors/usage-error';
import { builtInWorkloads } from '../workloads/built-in-workloads';
import { DefaultWorkloadRegistry } from '../workloads/workload-registry';
import { FileImage, materializeImage, readImage, writeImage } from './image-files';
import { ImageManifest } from './image-manifest-schema';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });
const dirs: string[] = [];
const opened: FileImage[] = [];

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-image-'));
  dirs.push(d);
  return d;
}
function open(dir: string, options?: { verifyChecksum?: boolean }): FileImage {
  const img = readImage(dir, options);
  opened.push(img);
  return img;
}
afterAll(() => {
  for (const i of opened) i.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function expectSameImage(a: Image, b: Image): void {
  expect(b.name).toBe(a.name);
  expect(b.pageSize).toBe(a.pageSize);
  expect(b.blobBytes).toBe(a.blobBytes);
  expect(b.processes.length).toBe(a.processes.length);
  const x = new Uint8Array(PAGE_SIZE);
  const y = new Uint8Array(PAGE_SIZE);
  a.processes.forEach((p, i) => {
    const q = b.processes[i];
    expect({ ...q, pageFlags: undefined }).toEqual({ ...p, pageFlags: undefined });
    expect(Buffer.from(q.pageFlags).equals(Buffer.from(p.pageFlags))).toBe(true);
    for (let page = 0; page < p.totalPages; page++) {
      a.readPage(p.pid, page, x);
      b.readPage(p.pid, page, y);
      if (!Buffer.from(x).equals(Buffer.from(y))) throw new Error(`pid ${p.pid} page ${page} differs`);
    }
  });
}

function editManifest(dir: string, edit: (m: ImageManifest) => void): void {
  const file = path.join(dir, 'manifest.json');
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as ImageManifest;
  edit(m);
  fs.writeFileSync(file, JSON.stringify(m));
}

function expectUsageError(fn: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(UsageError);
  const message = (error as Error).message;
  expect(message).toMatch(pattern);
  expect(message).not.toContain('\n');
}

describe('image files', () => {
  it('round-trips a forked multi-process image byte for byte', () => {
    const w = registry.create('forktree:pages=1024,procs=3,zeroFraction=0.3,vmas=3');
    const dir = tmpDir();
    const files = writeImage(w.image, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['manifest.json', 'pages.bin']);
    const blob = fs.readFileSync(files.blobPath);
    expect(blob.length).toBe(w.image.blobBytes);
    expect(createHash('sha256').update(blob).digest('hex')).toBe(files.sha256);
    const img = open(dir);
    expectSameImage(w.image, img);
    expect(img.processes[1].pageFlags.some((f) => f & PageFlag.SharedWithParent)).toBe(true);
  });

  it('writes a readable manifest: format, version, run-length page flags, VMAs', () => {
    const w = registry.create('thp-predump:pages=1024,vmas=1');
    const dir = tmpDir();
    writeImage(w.image, dir);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ImageManifest;
    expect(m.format).toBe('restorelab-image');
    expect(m.version).toBe(1);
    expect(m.name).toBe(w.spec);
    expect(m.pageSize).toBe(4096);
    expect(m.blob).toEqual({ file: 'pages.bin', bytes: 1024 * PAGE_SIZE, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const p = m.processes[0];
    expect(p.pageFlags.reduce((n, [count]) => n + count, 0)).toBe(1024);
    expect(p.pageFlags.filter(([, f]) => f === (PageFlag.Content | PageFlag.Precopied)).reduce((n, [c]) => n + c, 0)).toBe(128);
    expect(p.vmas[0]).toMatchObject({ thp: 'hugepage', collapseBeforeRegister: true, start: 0x100000000000 });
    expect(p.pageFlagsSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves zero pages as holes, so a mostly-zero image stays small on disk', () => {
    const w = registry.create('uniform:pages=16384,zeroFraction=0.95,vmas=1');
    const dir = tmpDir();
    const files = writeImage(w.image, dir);
    const st = fs.statSync(files.blobPath);
    expect(st.size).toBe(64 << 20);
    expect(st.blocks * 512).toBeLessThan(16 << 20);
    expectSameImage(w.image, open(dir));
  });

  it('rewrites a file image into another directory identically, and overwrites in place', () => {
    const w = registry.create('zipf:pages=300,zeroFraction=0.5');
    const a = tmpDir();
    const first = writeImage(w.image, a);
    const b = tmpDir();
    const second = writeImage(open(a), b);
    expect(second.sha256).toBe(first.sha256);
    expectSameImage(w.image, open(b));
    expect(writeImage(w.image, a).sha256).toBe(first.sha256);
  });

  it('materializeImage writes a generated image and reuses a file image', () => {
    const w = registry.create('seq:pages=64');
    const dir = tmpDir();
    const m = materializeImage(w.image, dir);
    expect(m.written).toBe(true);
    expect(m.blobPath).toBe(path.join(dir, 'pages.bin'));
    const img = open(dir);
    const other = tmpDir();
    const again = materializeImage(img, other);
    expect(again.written).toBe(false);
    expect(again.blobPath).toBe(m.blobPath);
    expect(again.sha256).toBe(m.sha256);
    expect(fs.readdirSync(other)).toEqual([]);
  });

  describe('errors: one line, naming the file', () => {
    let dir: string;
    beforeEach(() => {
      dir = tmpDir();
      writeImage(registry.create('uniform:pages=256,vmas=2').image, dir);
    });
    const manifest = () => path.join(dir, 'manifest.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const blob = () => path.join(dir, 'pages.bin').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

    it('missing manifest', () => {
      fs.rmSync(path.join(dir, 'manifest.json'));
      expectUsageError(() => readImage(dir), new RegExp(`${manifest()}: cannot read it \\(ENOENT\\)`));
    });
    it('corrupt JSON', () => {
      fs.writeFileSync(path.join(dir, 'manifest.json'), '{"format": "restorelab-image",');
      expectUsageError(() => readImage(dir), new RegExp(`${manifest()}: corrupt JSON`));
    });
    it('not an image manifest', () => {
      fs.writeFileSync(path.join(dir, 'manifest.json'), '{"format": "something-else"}');
      expectUsageError(() => readImage(dir), /not a restorelab image \(format "something-else"/);
    });
    it('wrong version', () => {
      editManifest(dir, (m) => ((m as { version: number }).version = 2));
      expectUsageError(() => readImage(dir), new RegExp(`${manifest()}: unsupported version 2 \\(this restorelab reads version 1\\)`));
    });
    it('schema violations name the field', () => {
      editManifest(dir, (m) => ((m.processes[0].vmas[0] as { thp: string }).thp = 'always'));
      expectUsageError(() => readImage(dir), /invalid: \/processes\/0\/vmas\/0\/thp must be equal to one of the allowed values/);
      editManifest(dir, (m) => delete (m as Partial<ImageManifest>).blob);
      expectUsageError(() => readImage(dir), /invalid: \/ must have required property 'blob'/);
    });
    it('page flags that do not cover the process', () => {
      editManifest(dir, (m) => (m.processes[0].pageFlags[0][0] += 1));
      expectUsageError(() => readImage(dir), /process 1: pageFlags runs do not add up to 256 pages/);
    });
    it('page flags that do not match their checksum', () => {
      editManifest(dir, (m) => {
        const runs = m.processes[0].pageFlags;
        runs[0][0] -= 1;
        runs.unshift([1, 0]);
      });
      expectUsageError(() => readImage(dir), /process 1: pageFlags checksum mismatch/);
    });
    it('VMAs that do not cover the process', () => {
      editManifest(dir, (m) => (m.processes[0].vmas[1].pages -= 1));
      expectUsageError(() => readImage(dir), /process 1: VMAs cover 255 pages, totalPages is 256/);
    });
    it('missing blob', () => {
      fs.rmSync(path.join(dir, 'pages.bin'));
      expectUsageError(() => readImage(dir), new RegExp(`${blob()}: cannot open it \\(ENOENT\\)`));
    });
    it('truncated blob, even without checksum verification', () => {
      fs.truncateSync(path.join(dir, 'pages.bin'), 256 * PAGE_SIZE - 1);
      expectUsageError(() => readImage(dir, { verifyChecksum: false }), new RegExp(`${blob()}: truncated: 1048575 bytes, the manifest says 1048576`));
    });
    it('blob longer than the manifest says', () => {
      fs.appendFileSync(path.join(dir, 'pages.bin'), Buffer.alloc(1));
      expectUsageError(() => readImage(dir), /1048577 bytes, the manifest says 1048576/);
    });
    it('checksum mismatch, unless verification is off', () => {
      const fd = fs.openSync(path.join(dir, 'pages.bin'), 'r+');
      fs.writeSync(fd, Buffer.from([0xff]), 0, 1, 5 * PAGE_SIZE + 100);
      fs.closeSync(fd);
      expectUsageError(() => readImage(dir), new RegExp(`${blob()}: checksum mismatch: sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}`));
      const img = open(dir, { verifyChecksum: false });
      const page = new Uint8Array(PAGE_SIZE);
      img.readPage(1, 5, page);
      expect(page[100]).toBe(0xff);
    });
  });

  it('a closed image opens its blob again where a page is read (a workload keeps no descriptor between runs)', () => {
    const dir = tmpDir();
    const w = registry.create('seq:pages=8,vmas=1');
    writeImage(w.image, dir);
    const img = readImage(dir);
    img.close();
    const got = new Uint8Array(PAGE_SIZE);
    const want = new Uint8Array(PAGE_SIZE);
    img.readPage(1, 5, got);
    w.image.readPage(1, 5, want);
    expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    img.close();
    fs.rmSync(path.join(dir, 'pages.bin'));
    expect(() => img.readPage(1, 0, got)).toThrow(/image blob .*pages\.bin: cannot open it \(ENOENT\)/);
  });
});

describe('image files that claim more than they hold', () => {
  it('refuses a self-consistent manifest of 2^31 pages by the blob it has, before allocating for them', () => {
    const dir = tmpDir();
    writeImage(registry.create('seq:pages=64,vmas=1').image, dir);
    const n = 2 ** 31;
    editManifest(dir, (m) => {
      const p = m.processes[0] as unknown as Record<string, unknown> & { vmas: { pages: number }[] };
      p.totalPages = n;
      p.vmas[0].pages = n;
      p.pageFlags = [[n, PageFlag.Content]];
      delete p.pageFlagsSha256;
      (m.blob as { bytes: number }).bytes = n * PAGE_SIZE;
    });
    expectUsageError(() => open(dir), /pages\.bin: truncated: 262144 bytes, the manifest says 8796093022208$/);
  });

  it('refuses process pages past blob.bytes before decoding their flags', () => {
    const dir = tmpDir();
    writeImage(registry.create('seq:pages=64,vmas=1').image, dir);
    editManifest(dir, (m) => {
      const p = m.processes[0] as unknown as Record<string, unknown> & { vmas: { pages: number }[] };
      p.totalPages = 2 ** 25;
      p.vmas[0].pages = 2 ** 25;
      p.pageFlags = [[2 ** 25, PageFlag.Content]];
    });
    expectUsageError(() => open(dir), /blob\.bytes is 262144, the processes need more \(process 1 ends at byte 137438953472\)$/);
  });

  it('refuses a manifest or blob that is not a regular file', () => {
    const dir = tmpDir();
    writeImage(registry.create('seq:pages=64,vmas=1').image, dir);
    fs.rmSync(path.join(dir, 'pages.bin'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'pages.bin'));
    expectUsageError(() => open(dir), /pages\.bin: cannot open it \(not a regular file \(a character device\)\)$/);
    fs.rmSync(path.join(dir, 'manifest.json'));
    fs.mkdirSync(path.join(dir, 'manifest.json'));
    expectUsageError(() => open(dir), /manifest\.json: cannot read it \(EISDIR\)$/);
  });
});
