import { PageBitmap } from './page-bitmap';

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

  it('a growing bitmap takes a range of 2^31 pages in one pass', () => {
    const b = PageBitmap.growing();
    b.setRange(0, 2 ** 31);
    expect(b.size).toBe(2 ** 31);
    expect(b.get(2 ** 31 - 1)).toBe(true);
    b.clearRange(5, 2 ** 31);
    expect(b.count()).toBe(5);
  });
});
