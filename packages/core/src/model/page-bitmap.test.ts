import { MAX_BITMAP_PAGES, PageBitmap } from './page-bitmap';

/** The bit-by-bit definition the word-wise ranges must match. */
function naive(size: number, ops: [boolean, number, number][]): boolean[] {
  const bits = new Array<boolean>(size).fill(false);
  for (const [on, start, count] of ops) for (let i = Math.max(0, start); i < Math.min(size, start + count); i++) bits[i] = on;
  return bits;
}

describe('PageBitmap ranges', () => {
  it('set and clear exactly [start, start+count), clipped to the size, at every alignment', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (const size of [1, 31, 32, 33, 64, 100, 257]) {
      const ops: [boolean, number, number][] = [];
      for (let k = 0; k < 200; k++) ops.push([rnd(3) !== 0, rnd(size + 8) - 4, rnd(size + 8)]);
      const b = new PageBitmap(size);
      for (const [on, start, count] of ops) (on ? b.setRange : b.clearRange).call(b, start, count);
      const want = naive(size, ops);
      expect(Array.from({ length: size }, (_, i) => b.get(i))).toEqual(want);
      expect(b.count()).toBe(want.filter((x) => x).length);
    }
  });

  it('single pages (get, set, clear, ranges of one) agree with the word-wise count and next, bits 30 and 31 included', () => {
    let seed = 5;
    // the generator's high bits: its low ones repeat with a short period
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % n;
    const size = 200;
    const b = new PageBitmap(size);
    const want = new Array<boolean>(size).fill(false);
    for (let k = 0; k < 3000; k++) {
      const i = rnd(size);
      const op = rnd(4);
      if (op === 0) b.set(i);
      else if (op === 1) b.clear(i);
      else if (op === 2) b.setRange(i, 1);
      else b.clearRange(i, 1);
      want[i] = op === 0 || op === 2;
      if (k % 100 === 0) {
        expect(b.count()).toBe(want.filter((x) => x).length);
        expect(b.next(0, size, true)).toBe(want.indexOf(true) < 0 ? size : want.indexOf(true));
      }
    }
    expect(Array.from({ length: size }, (_, i) => b.get(i))).toEqual(want);
    for (const w of [30, 31, 62, 63]) {
      b.setRange(w, 1);
      expect([b.get(w), b.next(w, size, true)]).toEqual([true, w]);
    }
  });

  it('next finds the first set or clear page in [i, limit) as a page-by-page scan does', () => {
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (const size of [1, 31, 32, 33, 64, 100, 257]) {
      const b = new PageBitmap(size);
      for (let k = 0; k < 20; k++) (rnd(2) ? b.setRange : b.clearRange).call(b, rnd(size), rnd(size / 2 + 2));
      for (let k = 0; k < 300; k++) {
        const i = rnd(size + 6) - 3;
        const limit = rnd(size + 6);
        for (const on of [true, false]) {
          let want = limit;
          for (let j = Math.max(0, i); j < Math.min(limit, size); j++)
            if (b.get(j) === on) {
              want = j;
              break;
            }
          expect([size, i, limit, on, b.next(i, limit, on)]).toEqual([size, i, limit, on, want]);
        }
      }
    }
  });

  it('a growing bitmap takes a range of its most pages in one pass, and nothing past them', () => {
    const b = PageBitmap.growing();
    b.setRange(0, MAX_BITMAP_PAGES);
    expect(b.size).toBe(MAX_BITMAP_PAGES);
    expect(b.get(MAX_BITMAP_PAGES - 1)).toBe(true);
    b.setRange(MAX_BITMAP_PAGES, 1);
    expect(b.size).toBe(MAX_BITMAP_PAGES);
    b.clearRange(5, MAX_BITMAP_PAGES);
    expect(b.count()).toBe(5);
  });
});
