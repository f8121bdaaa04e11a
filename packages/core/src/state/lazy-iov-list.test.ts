import { LazyIovList } from './lazy-iov-list';

/** [start, end) pairs, easier to read than PageRanges. */
function spans(l: LazyIovList): [number, number][] {
  return l.ranges().map((r) => [r.page, r.page + r.count]);
}

/**
 * Seed 003 (CRIU "replace page list with IOVs list"): a pagemap entry covering several VMAs becomes
 * one IOV per VMA; update_lazy_iovecs() trims an IOV at its base, shortens it at its end, splits
 * it when a page in the middle arrives, and drops it when it is used up.
 */
function criuExample(): LazyIovList {
  // VMAs [0,16) [16,24) [24,40) laid end to end; one lazy pagemap entry [4,30) spans all three
  const l = new LazyIovList(7);
  const vmaEnds = [16, 24, 40];
  let start = 4;
  const end = 30;
  for (const vEnd of vmaEnds) {
    if (start >= vEnd) continue;
    l.add(start, Math.min(end, vEnd));
    if (end <= vEnd) break;
    start = vEnd;
  }
  return l;
}

describe('LazyIovList', () => {
  it('holds one range per VMA for a lazy area that crosses VMA boundaries', () => {
    const l = criuExample();
    expect(spans(l)).toEqual([
      [4, 16],
      [16, 24],
      [24, 30],
    ]);
    expect(l.pageCount).toBe(26);
    expect(l.rangeCount).toBe(3);
    expect(l.ranges()[0].pid).toBe(7);
  });

  it('trims a range at its base when the first page arrives (lazy_iov->base += len)', () => {
    const l = criuExample();
    expect(l.remove(4, 1)).toBe(1);
    expect(spans(l)[0]).toEqual([5, 16]);
    expect(l.pageCount).toBe(25);
  });

  it('shortens a range when its last pages arrive', () => {
    const l = criuExample();
    expect(l.remove(22, 2)).toBe(2);
    expect(spans(l)).toEqual([
      [4, 16],
      [16, 22],
      [24, 30],
    ]);
  });

  it('splits a range in two when a page in the middle arrives', () => {
    const l = criuExample();
    expect(l.remove(10, 1)).toBe(1);
    expect(spans(l)).toEqual([
      [4, 10],
      [11, 16],
      [16, 24],
      [24, 30],
    ]);
    expect(l.contains(10)).toBe(false);
    expect(l.contains(9)).toBe(true);
    expect(l.contains(11)).toBe(true);
    expect(l.pageCount).toBe(25);
  });

  it('drops a range that is used up, and removes across several ranges at once', () => {
    const l = criuExample();
    expect(l.remove(16, 8)).toBe(8);
    expect(spans(l)).toEqual([
      [4, 16],
      [24, 30],
    ]);
    expect(l.remove(12, 14)).toBe(6); // [12,16) and [24,26); [16,24) is no longer lazy
    expect(spans(l)).toEqual([
      [4, 12],
      [26, 30],
    ]);
    expect(l.pageCount).toBe(12);
    expect(l.remove(0, 100)).toBe(12);
    expect(l.rangeCount).toBe(0);
    expect(l.pageCount).toBe(0);
    expect(l.firstFrom(0)).toBeUndefined();
  });

  it('counts nothing for pages that are not lazy', () => {
    const l = criuExample();
    expect(l.remove(0, 4)).toBe(0);
    expect(l.remove(30, 10)).toBe(0);
    expect(l.remove(10, 0)).toBe(0);
    expect(l.pageCount).toBe(26);
    expect(l.rangeCount).toBe(3);
  });

  it('finds the lazy range at or after a page, wrapping to the lowest', () => {
    const l = criuExample();
    l.remove(10, 1);
    expect(l.firstFrom(0)).toEqual({ pid: 7, page: 4, count: 6 });
    expect(l.firstFrom(7)).toEqual({ pid: 7, page: 7, count: 3 });
    expect(l.firstFrom(10)).toEqual({ pid: 7, page: 11, count: 5 });
    expect(l.firstFrom(29)).toEqual({ pid: 7, page: 29, count: 1 });
    expect(l.firstFrom(30)).toEqual({ pid: 7, page: 4, count: 6 });
  });

  it('refuses ranges added out of order and ignores empty ones', () => {
    const l = new LazyIovList(1);
    l.add(10, 10);
    l.add(10, 20);
    expect(() => l.add(15, 30)).toThrow('ascending');
    expect(() => l.add(0, 5)).toThrow('ascending');
    l.add(20, 25);
    expect(spans(l)).toEqual([
      [10, 20],
      [20, 25],
    ]);
  });

  it('keeps the ranges a page-by-page model keeps, removing single pages and runs in any order', () => {
    let seed = 3;
    // the generator's high bits: its low ones repeat with a short period
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % n;
    for (let round = 0; round < 20; round++) {
      const l = new LazyIovList(1);
      const lazy = new Set<number>();
      const starts = new Set<number>();
      // ranges added back to back stay apart (starts), as VMAs do
      for (let at = rnd(8); at < 300; ) {
        const len = 1 + rnd(70);
        l.add(at, at + len);
        for (let i = at; i < at + len; i++) lazy.add(i);
        starts.add(at);
        at += len + (rnd(3) === 0 ? 0 : rnd(5));
      }
      for (let k = 0; k < 120; k++) {
        const page = rnd(320) - 4;
        const count = rnd(3) === 0 ? 1 + rnd(rnd(4) === 0 ? 200 : 40) : 1;
        let removed = 0;
        for (let i = Math.max(0, page); i < page + count; i++) if (lazy.delete(i)) removed++;
        expect(l.remove(page, count)).toBe(removed);
      }
      const model: [number, number][] = [];
      for (const i of [...lazy].sort((a, b) => a - b)) {
        const last = model[model.length - 1];
        if (last && last[1] === i && !starts.has(i)) last[1] = i + 1;
        else model.push([i, i + 1]);
      }
      expect(spans(l)).toEqual(model);
      expect([l.pageCount, l.rangeCount]).toEqual([lazy.size, model.length]);
    }
  });
});
