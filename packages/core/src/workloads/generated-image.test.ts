import { PageFlag } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { fillPageContent, GeneratedImage } from './generated-image';
import { layoutVmas } from './vma-layout';

describe('GeneratedImage', () => {
  const vmas = layoutVmas(64, 2);
  const flags = new Uint8Array(64).fill(PageFlag.Content);
  flags[5] = 0;
  const childFlags = new Uint8Array(64).fill(PageFlag.Content);
  childFlags.fill(PageFlag.Content | PageFlag.SharedWithParent, 10, 20);
  const image = new GeneratedImage('t', 7, [
    { pid: 1, parent: null, vmas, pageFlags: flags },
    { pid: 2, parent: 1, vmas, pageFlags: childFlags },
  ]);

  it('lays processes end to end in the blob', () => {
    expect(image.processes.map((p) => p.blobOffset)).toEqual([0, 64 * PAGE_SIZE]);
    expect(image.blobBytes).toBe(128 * PAGE_SIZE);
  });

  it('content pages start with page index and pid and are never zero; zero pages are zero', () => {
    const dst = new Uint8Array(PAGE_SIZE).fill(0xaa);
    image.readPage(1, 5, dst);
    expect(dst.every((b) => b === 0)).toBe(true);
    image.readPage(1, 0, dst);
    const w = new Uint32Array(dst.buffer);
    expect(w[0]).toBe(0);
    expect(w[1]).toBe(1);
    expect(dst.some((b) => b !== 0)).toBe(true);
    image.readPage(2, 33, dst);
    expect(Array.from(w.subarray(0, 2))).toEqual([33, 2]);
  });

  it('content is distinct per seed, pid and page', () => {
    const seen = new Set<string>();
    const words = new Uint32Array(PAGE_SIZE / 4);
    for (const seed of [1, 2])
      for (const pid of [1, 2, 3])
        for (let page = 0; page < 50; page++) {
          fillPageContent(seed, pid, page, words);
          seen.add(Buffer.from(words.buffer).toString('base64'));
        }
    expect(seen.size).toBe(2 * 3 * 50);
  });

  it('a shared page reads the parent page; an unaligned destination works', () => {
    const a = new Uint8Array(PAGE_SIZE);
    const b = new Uint8Array(PAGE_SIZE + 1).subarray(1);
    image.readPage(1, 12, a);
    image.readPage(2, 12, b);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    image.readPage(2, 25, b);
    image.readPage(1, 25, a);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('refuses unknown pids, pages out of range, and inconsistent processes', () => {
    const dst = new Uint8Array(PAGE_SIZE);
    expect(() => image.readPage(3, 0, dst)).toThrow(/no process 3/);
    expect(() => image.readPage(1, 64, dst)).toThrow(/no page 64/);
    expect(() => new GeneratedImage('x', 1, [{ pid: 1, parent: null, vmas, pageFlags: new Uint8Array(3) }])).toThrow(/3 page flags for 64 pages/);
    expect(() => new GeneratedImage('x', 1, [{ pid: 2, parent: 1, vmas, pageFlags: flags }])).toThrow(/parent 1/);
  });
});
