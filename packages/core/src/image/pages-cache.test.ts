import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PageFlag } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { builtInWorkloads, GeneratedImage } from '../workloads/built-in-workloads';
import { DefaultWorkloadRegistry } from '../workloads/workload-registry';
import { defaultPagesCacheDir, PagesCache, pagesCacheFromEnv, pagesKey } from './pages-cache';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });
const image = (spec: string) => registry.create(spec).image as GeneratedImage;
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-pages-cache-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every page of the file equals the image's (zeros for zero pages). */
function expectBlobOf(file: string, img: GeneratedImage): void {
  const blob = fs.readFileSync(file);
  expect(blob.length).toBe(img.blobBytes);
  const want = new Uint8Array(PAGE_SIZE);
  for (const p of img.processes) {
    for (let page = 0; page < p.totalPages; page++) {
      img.readPage(p.pid, page, want);
      const at = p.blobOffset + page * PAGE_SIZE;
      expect(Buffer.compare(blob.subarray(at, at + PAGE_SIZE), want)).toBe(0);
    }
  }
}

describe('PagesCache', () => {
  it('writes a generated image once and reuses it for the same image', () => {
    const cache = new PagesCache(dir);
    const a = cache.pagesFileFor(image('forktree:pages=256,procs=3,zeroFraction=0.3'));
    expectBlobOf(a, image('forktree:pages=256,procs=3,zeroFraction=0.3'));
    const b = cache.pagesFileFor(image('forktree:pages=256,procs=3,zeroFraction=0.3'));
    expect(b).toBe(a);
    expect(cache.stats).toEqual({ hits: 1, writes: 1, evicted: 0 });
  });

  it('keys entries on everything the content depends on', () => {
    const keys = ['seq:pages=64', 'seq:pages=64,seed=2', 'seq:pages=65', 'seq:pages=64,zeroFraction=0.5', 'forktree:pages=64,procs=2'].map((s) =>
      pagesKey(image(s)),
    );
    expect(new Set(keys).size).toBe(keys.length);
    expect(pagesKey(image('seq:pages=64'))).toBe(keys[0]);
  });

  it('writes an entry again when it is truncated or a page differs', () => {
    const cache = new PagesCache(dir);
    const img = image('seq:pages=128');
    const file = cache.pagesFileFor(img);
    fs.truncateSync(file, img.blobBytes - PAGE_SIZE);
    expect(cache.pagesFileFor(img)).toBe(file);
    expectBlobOf(file, img);
    // the first content page is always among those compared
    const first = img.processes[0].pageFlags.findIndex((f) => (f & PageFlag.Content) !== 0);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([0xff]), 0, 1, first * PAGE_SIZE + 100);
    fs.closeSync(fd);
    cache.pagesFileFor(img);
    expectBlobOf(file, img);
    expect(cache.stats.writes).toBe(3);
  });

  it('replaces a FIFO where an entry should be, without blocking on it', () => {
    const cache = new PagesCache(dir);
    const img = image('seq:pages=32');
    const entry = cache.entryPath(img);
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('mkfifo', [entry]);
    expect(cache.pagesFileFor(img)).toBe(entry);
    expect(fs.statSync(entry).isFile()).toBe(true);
    expectBlobOf(entry, img);
  });

  it('evicts the least recently used entries beyond its size, never the one just written', () => {
    const cache = new PagesCache(dir, 300 * PAGE_SIZE);
    const a = cache.pagesFileFor(image('seq:pages=128'));
    const b = cache.pagesFileFor(image('seq:pages=128,seed=2'));
    fs.utimesSync(a, new Date(2000, 0, 1), new Date(2000, 0, 1));
    fs.utimesSync(b, new Date(2001, 0, 1), new Date(2001, 0, 1));
    const c = cache.pagesFileFor(image('seq:pages=128,seed=3'));
    expect(fs.existsSync(a)).toBe(false);
    expect(fs.existsSync(b)).toBe(true);
    expect(fs.existsSync(c)).toBe(true);
    const tiny = new PagesCache(dir, 0);
    const d = tiny.pagesFileFor(image('seq:pages=128,seed=4'));
    expect(fs.readdirSync(dir)).toEqual([path.basename(d)]);
  });

  it('removes what a killed writer left, not what a live one is writing', () => {
    const cache = new PagesCache(dir);
    fs.writeFileSync(path.join(dir, 'x.pages.tmp-999999999'), 'left behind');
    fs.writeFileSync(path.join(dir, `y.pages.tmp-${process.pid}`), 'being written');
    cache.pagesFileFor(image('seq:pages=16'));
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([`y.pages.tmp-${process.pid}`]);
  });
});

describe('PagesCache.checkRoomFor', () => {
  it('refuses pages its disk cannot hold, unless an entry of the blob\'s size may be them', () => {
    const cache = new PagesCache(dir);
    expect(() => cache.checkRoomFor(2 ** 60, 2 ** 60, 'the pages of w')).toThrow(/^the pages of w \(cached in .*\) needs about 1\.0 EiB in /);
    const entry = cache.pagesFileFor(image('seq:pages=64'));
    cache.checkRoomFor(2 ** 60, fs.statSync(entry).size, 'the pages of w');
    cache.checkRoomFor(4096, 2 ** 60, 'the pages of w');
  });
});

describe('pagesCacheFromEnv', () => {
  it('is off, somewhere else, or in the XDG cache', () => {
    expect(pagesCacheFromEnv({ RESTORELAB_PAGES_CACHE: 'off' })).toBeNull();
    const c = pagesCacheFromEnv({ RESTORELAB_PAGES_CACHE: dir, RESTORELAB_PAGES_CACHE_GIB: '2' })!;
    expect([c.dir, c.maxBytes]).toEqual([dir, 2 * 2 ** 30]);
    expect(pagesCacheFromEnv({ XDG_CACHE_HOME: '/var/cache/u' })!.dir).toBe('/var/cache/u/restorelab/pages');
    expect(defaultPagesCacheDir({ XDG_CACHE_HOME: 'relative' })).toBe(path.join(os.homedir(), '.cache', 'restorelab', 'pages'));
  });

  it('refuses a size that is not a number of GiB, in one line', () => {
    expect(() => pagesCacheFromEnv({ RESTORELAB_PAGES_CACHE_GIB: 'lots' })).toThrow(/^RESTORELAB_PAGES_CACHE_GIB must be a number of GiB >= 0, got "lots"$/);
  });
});
