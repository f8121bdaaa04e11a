import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { UsageError } from '../errors/usage-error';
import { PageFlag } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { criuImageBytes, writeTestDump } from '../testing/criu-test-dump';
import { readCriuDump } from './criu-dump';
import { CRIU_MAGIC, VmaStatus } from './criu-schema';

const ANON = VmaStatus.Regular | VmaStatus.AnonPrivate;
const BASE = 0x7f0000000000;
const P = PAGE_SIZE;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'restorelab-criu-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const refused = (message: RegExp, opts = {}) => {
  expect(() => readCriuDump(dir, opts)).toThrow(UsageError);
  expect(() => readCriuDump(dir, opts)).toThrow(message);
};

describe('CRIU dumps', () => {
  it('read the private anonymous VMAs, content where the pagemap has pages, zero elsewhere, THP advice from madvise', () => {
    writeTestDump(dir, {
      vmas: [
        { start: BASE, pages: 8, status: ANON | VmaStatus.Heap },
        { start: BASE + 16 * P, pages: 4, status: VmaStatus.Regular | VmaStatus.FilePrivate },
        { start: BASE + 32 * P, pages: 4, status: ANON, prot: 1, madv: 2 ** 14 },
        { start: 0xffffffffff600000, pages: 1, status: VmaStatus.Vsyscall },
      ],
      pagemap: [
        { vaddr: BASE + P, pages: 2 },
        { vaddr: BASE + 16 * P, pages: 1 }, // a file-private page: in the pages file, not imported
        { vaddr: BASE + 20 * P, pages: 1, flags: 2 }, // lazy without pages: nothing in the file
        { vaddr: BASE + 33 * P, pages: 3 },
      ],
    });
    const img = readCriuDump(dir);
    try {
      const [p] = img.processes;
      expect(p.pid).toBe(4242);
      expect(p.vmas.map((v) => [v.start - BASE, v.pages, v.firstPage, v.prot, v.thp])).toEqual([
        [0, 8, 0, 'rw', 'default'],
        [32 * P, 4, 8, 'r', 'hugepage'],
      ]);
      expect(Array.from(p.pageFlags).map((f) => (f & PageFlag.Content ? 1 : 0))).toEqual([0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
      // runs contiguous in pages-1.img: the file page between them is skipped
      expect(img.pageRuns(4242)).toEqual([{ page: 1, count: 2, fileOffset: 0 }, { page: 9, count: 3, fileOffset: 3 * P }]);
      const page = new Uint8Array(P);
      // pages-1.img: BASE+P (1), BASE+2P (2), the file page (3), then BASE+33P.. (4, 5, 6)
      for (const [lp, byte] of [[1, 1], [2, 2], [9, 4], [11, 6], [0, 0]] as const) {
        img.readPage(4242, lp, page);
        expect([lp, page.every((b) => b === byte)]).toEqual([lp, true]);
      }
    } finally {
      img.close();
    }
  });

  it('of several processes read them all, children under their parents, or the one --pid names', () => {
    writeTestDump(dir, { pids: [10, 11, 12], vmas: [{ start: BASE, pages: 2, status: ANON }], pagemap: [{ vaddr: BASE, pages: 2 }] });
    rmSync(join(dir, 'mm-12.img')); // a zombie: no memory
    const img = readCriuDump(dir);
    try {
      expect(img.processes.map((p) => [p.pid, p.parent, p.blobOffset])).toEqual([[10, null, 0], [11, 10, 2 * P]]);
      const page = new Uint8Array(P);
      img.readPage(11, 1, page);
      expect(page.every((b) => b === 3)).toBe(true);
      expect(img.pageRuns(11)).toEqual([{ page: 0, count: 2, fileOffset: 0 }]);
    } finally {
      img.close();
    }
    refused(/has no process 13 \(pids 10, 11, 12\)/, { pid: 13 });
    const one = readCriuDump(dir, { pid: 11 });
    expect(one.processes.map((p) => [p.pid, p.parent])).toEqual([[11, null]]);
  });

  it('refuse pages in a parent dump, pages past the pages file, unsorted entries, another images version', () => {
    writeTestDump(dir, { vmas: [{ start: BASE, pages: 4, status: ANON }], pagemap: [{ vaddr: BASE, pages: 1, flags: 1 }] });
    refused(/entry 1: its pages are in a parent dump/);
    writeTestDump(dir, { vmas: [{ start: BASE, pages: 4, status: ANON }], pagemap: [{ vaddr: BASE, pages: 2 }] });
    writeFileSync(join(dir, 'pages-1.img'), Buffer.alloc(P));
    refused(/entry 1: its 2 pages end at byte 8192 of .*pages-1\.img, which has 4096/);
    writeTestDump(dir, { vmas: [{ start: BASE, pages: 4, status: ANON }], pagemap: [{ vaddr: BASE + 2 * P, pages: 1 }, { vaddr: BASE, pages: 1 }] });
    refused(/entry 2: at 0x7f0000000000, before the end of the entry before it/);
    writeTestDump(dir, { version: 1, vmas: [{ start: BASE, pages: 1, status: ANON }], pagemap: [] });
    refused(/inventory\.img: images version 1, this restorelab reads 2/);
  });

  it('refuse overlapping VMAs, and VMAs outside the user half', () => {
    writeTestDump(dir, { vmas: [{ start: BASE, pages: 4, status: ANON }, { start: BASE + 2 * P, pages: 4, status: ANON }], pagemap: [] });
    refused(/mm-4242\.img: process 4242: VMA 1 at 0x7f0000002000 overlaps or precedes VMA 0/);
    writeTestDump(dir, { vmas: [{ start: 0, pages: 4, status: ANON }], pagemap: [] });
    refused(/VMA 0 starts at 0x0, below 0x10000/);
  });

  it('refuse a wrong magic, a truncated entry, an entry longer than the file, an entry that does not parse, a missing file', () => {
    writeTestDump(dir, { vmas: [{ start: BASE, pages: 1, status: ANON }], pagemap: [] });
    const mm = join(dir, 'mm-4242.img');
    const good = readFileSync(mm);
    writeFileSync(mm, criuImageBytes(CRIU_MAGIC.pstree, []));
    refused(/mm-4242\.img: magic 0x50273030, expected 0x57492820 \(a different kind of image\) at byte 4/);
    writeFileSync(mm, good.subarray(0, 10));
    refused(/mm-4242\.img: truncated entry length at byte 8/);
    const bomb = Buffer.from(good);
    bomb.writeUInt32LE(0xfffffff0, 8);
    writeFileSync(mm, bomb);
    refused(/an entry of 4294967280 bytes, \d+ left in the file at byte 8/);
    writeFileSync(mm, Buffer.concat([good.subarray(0, 8), Buffer.from([3, 0, 0, 0, 0xff, 0xff, 0xff])]));
    refused(/mm-4242\.img: cannot parse a mm_entry entry/);
    rmSync(join(dir, 'pstree.img'));
    refused(/CRIU image .*pstree\.img: cannot read it \(ENOENT\)/);
  });
});
