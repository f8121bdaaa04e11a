import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SimBackend } from '@restorelab/backend-sim';
import { builtIn as workloadFromSpec, LinuxBackend, linuxUnavailableReason, loadMockNative } from '@restorelab/backend-linux';
import { Image, MANIFEST_FILE, readImage, RestoreBackend, runRestore, UsageError, writeImage } from '@restorelab/core';

/**
 * Images a hostile or careless producer could hand us. Every one is refused with a one-line
 * error before anything is mapped, forked or allocated for its pages: read from disk, and given
 * to each backend in memory (the Linux backend never starts its runner).
 */
interface Layout {
  pid: number;
  parent: number | null;
  totalPages: number;
  vmas: { start: number; pages: number; firstPage: number }[];
}

const TOP = 0x7ffffffff000;
const setStart = (proc: number, vma: number, start: number) => (ps: Layout[]) => void (ps[proc].vmas[vma].start = start);
const setPages = (proc: number, pages: number) => (ps: Layout[]) => {
  const v = ps[proc].vmas[ps[proc].vmas.length - 1];
  ps[proc].totalPages += pages - v.pages;
  v.pages = pages;
};

const cases: [string, (ps: Layout[]) => void, RegExp][] = [
  ['overlapping VMAs', (ps) => void (ps[0].vmas[1].start = ps[0].vmas[0].start + 4096), /VMA 1 at 0x\w+ overlaps or precedes VMA 0/],
  ['VMAs out of order', (ps) => ([ps[0].vmas[0].start, ps[0].vmas[1].start] = [ps[0].vmas[1].start, ps[0].vmas[0].start]), /overlaps or precedes VMA 0/],
  ['an unaligned VMA', setStart(0, 0, 0x100000000001), /start 17592186044417 is not page aligned/],
  ['the null page', setStart(0, 0, 0), /VMA 0 starts at 0x0, below 0x10000 \(mmap_min_addr\)/],
  ['below mmap_min_addr', setStart(0, 0, 0x1000), /below 0x10000/],
  ['the top page of user space', setStart(0, 1, TOP), /VMA 1 starts at 140737488351232, not in the user half \(below 0x7ffffffff000\)/],
  ['the last page below the top', setStart(0, 1, TOP - 4096), /VMA 1 at 0x7fffffffe000 of 32 pages ends past 0x7ffffffff000/],
  ['a non-canonical address', setStart(0, 1, 2 ** 47), /not in the user half/],
  ['the kernel half', setStart(0, 1, 2 ** 64 - 2 ** 47), /not in the user half/],
  ['the vsyscall page', setStart(0, 1, 0xffffffffff600000), /not in the user half/],
  ['a start of 2^64', setStart(0, 1, 2 ** 64), /not in the user half/],
  ['a start of 2^64 + 8 MiB', setStart(0, 1, 2 ** 64 + 8 * 2 ** 20), /not in the user half/],
  ['a VMA that wraps past 2^64', setPages(0, 2 ** 52), /ends past 0x7ffffffff000/],
  ['a VMA past the top of user space', (ps) => {
    ps[0].vmas[1].start = TOP - 2 * 4096;
    setPages(0, 3)(ps);
  }, /ends past/],
  ['more than 256 GiB of pages', setPages(1, 2 ** 26 + 1), /more than 67108864 pages in all/],
  ['a pid of 1e300', (ps) => void (ps[1].pid = 1e300), /pid 1e\+300 is not a pid/],
  ['a pid of 2^31', (ps) => void (ps[1].pid = 2 ** 31), /pid 2147483648 is not a pid/],
  ['a pid above PID_MAX_LIMIT', (ps) => void (ps[0].pid = 4194305), /pid 4194305 is not a pid/],
  ['two root processes', (ps) => void (ps[1].parent = null), /process 2 is a second root process/],
  ['a parent that comes later', (ps) => void (ps[1].parent = 7), /process 2: parent 7 is not an earlier process/],
  ['a pid twice', (ps) => void (ps[1].pid = ps[0].pid), /pid 1 appears twice/],
  ['VMAs that do not cover totalPages', (ps) => void (ps[0].totalPages += 1), /VMAs cover \d+ pages, totalPages is/],
];

const base = workloadFromSpec('forktree:pages=64,vmas=2,procs=2,accesses=8');

function layoutOf(image: Image): Layout[] {
  return image.processes.map((p) => ({ pid: p.pid, parent: p.parent, totalPages: p.totalPages, vmas: p.vmas.map((v) => ({ start: v.start, pages: v.pages, firstPage: v.firstPage })) }));
}

function crafted(mutate: (ps: Layout[]) => void) {
  const layout = layoutOf(base.image);
  mutate(layout);
  const image = base.image;
  const processes = image.processes.map((p, i) => ({
    ...p,
    pid: layout[i].pid,
    parent: layout[i].parent,
    totalPages: layout[i].totalPages,
    vmas: p.vmas.map((v, j) => ({ ...v, ...layout[i].vmas[j] })),
  }));
  return { ...base, image: { name: image.name, pageSize: image.pageSize, blobBytes: image.blobBytes, processes, readPage: image.readPage.bind(image) } };
}

function oneLineUsageError(e: unknown, pattern: RegExp): void {
  expect(e).toBeInstanceOf(UsageError);
  expect((e as Error).message).toMatch(pattern);
  expect((e as Error).message).not.toContain('\n');
}

describe('a crafted image directory', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-crafted-'));
  const manifestPath = path.join(dir, MANIFEST_FILE);
  writeImage(base.image, dir);
  const original = fs.readFileSync(manifestPath, 'utf8');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads back as written when nothing is changed', () => {
    readImage(dir).close();
  });

  it.each(cases)('with %s is refused by the reader, naming the manifest', (_name, mutate, pattern) => {
    const m = JSON.parse(original) as { processes: Layout[] };
    mutate(m.processes);
    fs.writeFileSync(manifestPath, JSON.stringify(m));
    let error: unknown;
    try {
      readImage(dir).close();
    } catch (e) {
      error = e;
    }
    oneLineUsageError(error, pattern);
    expect((error as Error).message.startsWith(`image manifest ${manifestPath}: `)).toBe(true);
  });
});

const backends: [string, (started: () => void) => RestoreBackend, string | undefined][] = [
  ['sim', () => new SimBackend(), undefined],
  ['linux', (started) => new LinuxBackend({ onRunnerStarted: started }), linuxUnavailableReason()],
  ['linux (mock binding)', (started) => new LinuxBackend({ native: loadMockNative, onRunnerStarted: started }), undefined],
];

for (const [name, make, skipReason] of backends) {
  describe(`the ${name} backend, given a crafted image`, () => {
    const runOn = skipReason ? it.skip : it;
    runOn.each(cases)('with %s, refuses it before anything starts', async (_case, mutate, pattern) => {
      let started = false;
      const backend = make(() => (started = true));
      let error: unknown;
      try {
        await runRestore({ backend, workload: crafted(mutate), strategy: 'demand-only', strategies: [], seed: 1, logPath: null });
      } catch (e) {
        error = e;
      }
      oneLineUsageError(error, pattern);
      expect(started).toBe(false);
    });
  });
}
