import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { builtInWorkloads, DefaultWorkloadRegistry, GeneratedImage, PageFlag, PagesCache, writePagesBlob } from '@restorelab/core';
import { writeGeneratedPages } from './generated-pages';
import { mockBinding } from './mock/mock-binding';
import { loadNative, NativeBinding } from './native-binding';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });
const native = loadNative();
if (!native.ok) console.warn(`native page generation not tested: ${native.reason}`);
const bindings: [string, NativeBinding][] = [['mock', mockBinding], ...(native.ok ? ([['native', native.binding]] as [string, NativeBinding][]) : [])];

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-generated-pages-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function written(name: string, write: (fd: number) => void): Buffer {
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'w+');
  try {
    write(fd);
  } finally {
    fs.closeSync(fd);
  }
  return fs.readFileSync(file);
}

describe.each(bindings)('writeGeneratedPages (%s binding)', (name, binding) => {
  // odd page counts (not a multiple of the native lanes), zero pages, pages shared with a parent, seeds
  it.each(['seq:pages=77', 'seq:pages=9,seed=4294967295', 'forktree:pages=300,procs=3,zeroFraction=0.3', 'zipf:pages=1000,seed=7', 'thp-predump:pages=1024'])(
    'writes the bytes core writes for %s',
    (spec) => {
      const image = registry.create(spec).image as GeneratedImage;
      const want = written(`${name}-js`, (fd) => writePagesBlob(image, fd));
      const got = written(`${name}-gen`, (fd) => writeGeneratedPages(binding, image, fd));
      expect(got.length).toBe(want.length);
      expect(Buffer.compare(got, want)).toBe(0);
    },
  );

  it('writes the whole blob when the last pages are zero: a cache entry it wrote is used again', () => {
    const image = registry.create('seq:pages=64,zeroFraction=0.5,seed=1').image as GeneratedImage;
    const last = image.processes[image.processes.length - 1];
    expect(last.pageFlags[last.totalPages - 1] & PageFlag.Content).toBe(0);
    const cache = new PagesCache(path.join(dir, `${name}-cache`), 2 ** 30, (img, fd) => writeGeneratedPages(binding, img, fd));
    const entry = cache.pagesFileFor(image);
    expect(fs.statSync(entry).size).toBe(image.blobBytes);
    expect(cache.pagesFileFor(image)).toBe(entry);
    expect(cache.stats).toEqual({ hits: 1, writes: 1, evicted: 0 });
  });
});
