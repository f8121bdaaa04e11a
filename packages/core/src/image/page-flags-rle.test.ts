import { decodePageFlags, encodePageFlags } from './page-flags-rle';

describe('page flag runs', () => {
  it('encodes runs of equal bytes and decodes them back', () => {
    const flags = Uint8Array.from([1, 1, 1, 0, 3, 3, 1]);
    const runs = encodePageFlags(flags);
    expect(runs).toEqual([
      [3, 1],
      [1, 0],
      [2, 3],
      [1, 1],
    ]);
    expect(Array.from(decodePageFlags(runs, 7)!)).toEqual(Array.from(flags));
    expect(encodePageFlags(new Uint8Array(0))).toEqual([]);
  });

  it('refuses runs that do not add up to the page count', () => {
    expect(decodePageFlags([[3, 1]], 4)).toBeNull();
    expect(decodePageFlags([[5, 1]], 4)).toBeNull();
  });
});
