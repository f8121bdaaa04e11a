import { CopyCause, CopyPriority, EventKind, PrefillSource, RejectReason } from '../events/event-kind';
import { tinyImage } from '../testing/tiny-workload';
import { PAGE_STATE_KINDS } from './page-fold';
import { PageState } from './page-state';

const K = EventKind;

/** pid 1: VMA 0 = pages [0,8), VMA 1 = [8,12); pid 2: one VMA [0,4). */
function fresh(): PageState {
  return new PageState(
    tinyImage([
      { pid: 1, vmas: [8, 4] },
      { pid: 2, parent: 1, vmas: [4] },
    ]),
  );
}

function spans(s: PageState, pid: number): [number, number][] {
  return s.lazyRanges(pid).map((r) => [r.page, r.page + r.count]);
}

function register(s: PageState, pid: number, vma: number, first: number, pages: number): void {
  s.apply(K.VmaRegistered, pid, vma, first, pages, 1);
}

/** Every page's registered, present, in-flight and lazy bit, and the lazy runs, of both pids. */
function snapshot(s: PageState): unknown {
  const pages = (pid: number, n: number) =>
    Array.from({ length: n }, (_, i) => [s.isRegistered(pid, i), s.isPresent(pid, i), s.isInFlight(pid, i), s.isLazy(pid, i)]);
  return [pages(1, 12), pages(2, 4), spans(s, 1), spans(s, 2)];
}

/** The reference for lazyRunFrom: inside each lazy range from `from` on, the first lazy page and the lazy pages after it. */
function lazyRunByPage(s: PageState, ranges: readonly [number, number][], from: number, max: number): [number, number] | undefined {
  for (const [a, b] of ranges) {
    let i = Math.max(a, from);
    while (i < b && !s.isLazy(1, i)) i++;
    if (i >= b) continue;
    let j = i + 1;
    while (j < b && j - i < max && s.isLazy(1, j)) j++;
    return [i, j - i];
  }
  return undefined;
}

describe('PageState', () => {
  it('lazyRunFrom finds the first run a copy would queue, as a page-by-page scan with isLazy does', () => {
    let seed = 5;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (let round = 0; round < 40; round++) {
      const s = fresh();
      register(s, 1, 0, 0, 8);
      register(s, 1, 1, 8, 4);
      for (let k = 0; k < 6; k++) {
        const kind = [K.PagesCopied, K.CopyQueued, K.ZeroPageMapped][rnd(3)];
        s.apply(kind, 1, rnd(12), 1 + rnd(3), kind === K.CopyQueued ? CopyCause.Prefetch : 0, 0);
      }
      const ranges = spans(s, 1);
      for (let from = 0; from < 13; from++)
        for (const max of [1, 2, 3, 100]) {
          const want = lazyRunByPage(s, ranges, from, max);
          const got = s.lazyRunFrom(1, from, max);
          expect([round, from, max, got ? [got.page, got.count] : undefined]).toEqual([round, from, max, want]);
        }
    }
  });

  it('lazyRunFrom agrees with a page-by-page scan on long ranges, in-flight stretches longer than max and word boundaries', () => {
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % n;
    for (let round = 0; round < 30; round++) {
      const s = new PageState(tinyImage([{ pid: 1, vmas: [150, 90] }]));
      register(s, 1, 0, 0, 150);
      register(s, 1, 1, 150, 90);
      for (let k = 0; k < 10; k++) {
        const kind = [K.PagesCopied, K.CopyQueued, K.CopyQueued, K.ZeroPageMapped][rnd(4)];
        s.apply(kind, 1, rnd(240), 1 + rnd(rnd(2) ? 4 : 60), kind === K.CopyQueued ? CopyCause.Background : 0, 0);
      }
      const ranges = spans(s, 1);
      for (let from = 0; from < 242; from += 1 + rnd(7))
        for (const max of [1, 2, 5, 33, 64, Infinity]) {
          const want = lazyRunByPage(s, ranges, from, max);
          const got = s.lazyRunFrom(1, from, max);
          expect([round, from, max, got ? [got.page, got.count] : undefined]).toEqual([round, from, max, want]);
        }
    }
  });

  it('lazyRunEnd and nextLazyPage find what a page-by-page scan with isLazy finds, across word boundaries', () => {
    let seed = 9;
    // the generator's high bits: its low ones repeat with a short period
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % n;
    const pages = 100;
    for (let round = 0; round < 30; round++) {
      const s = new PageState(tinyImage([{ pid: 1, vmas: [60, 40] }]));
      register(s, 1, 0, 0, 60);
      if (rnd(2)) register(s, 1, 1, 60, 40);
      for (let k = 0; k < 12; k++) {
        const kind = [K.PagesCopied, K.CopyQueued, K.ZeroPageMapped, K.VmaRemoved][rnd(4)];
        s.apply(kind, 1, rnd(pages), 1 + rnd(20), kind === K.CopyQueued ? CopyCause.Prefetch : 0, 0);
      }
      for (let from = 0; from <= pages; from += 1 + rnd(3)) {
        const end = Math.min(pages, from + rnd(pages));
        let runEnd = from;
        while (runEnd < end && s.isLazy(1, runEnd)) runEnd++;
        let next = from;
        while (next < end && !s.isLazy(1, next)) next++;
        expect([round, from, end, s.lazyRunEnd(1, from, end), s.nextLazyPage(1, from, end)]).toEqual([round, from, end, runEnd, next]);
      }
    }
  });

  it('changes only for the kinds PAGE_STATE_KINDS lists (the event bus skips the others)', () => {
    for (const kind of Object.values(K).filter((k) => PAGE_STATE_KINDS[k] === 0)) {
      for (const args of [
        [0, 0, 8],
        [2, 3, 1],
        [1, 8, 4],
      ]) {
        const s = fresh();
        register(s, 1, 0, 0, 8);
        s.apply(K.CopyQueued, 1, 9, 2, CopyCause.Prefetch, CopyPriority.Prefetch);
        const before = snapshot(s);
        s.apply(kind, 1, args[0], args[1], args[2], 0);
        expect([kind, snapshot(s)]).toEqual([kind, before]);
      }
    }
    expect(Array.from(PAGE_STATE_KINDS).filter((x) => x === 1).length).toBe(10);
  });

  it('makes registered pages lazy, except those prefilled before registration', () => {
    const s = fresh();
    expect(s.isLazy(1, 0)).toBe(false);
    expect(s.isRegistered(1, 0)).toBe(false);
    s.apply(K.PagesPrefilled, 1, 0, 2, PrefillSource.Image, 0);
    s.apply(K.PagesPrefilled, 1, 5, 1, PrefillSource.Strategy, 0);
    register(s, 1, 0, 0, 8);
    register(s, 1, 1, 8, 4);
    expect(s.isPresent(1, 0)).toBe(true);
    expect(s.isLazy(1, 0)).toBe(false);
    expect(s.isRegistered(1, 0)).toBe(true);
    expect(s.isLazy(1, 2)).toBe(true);
    // the contiguous pages of two VMAs stay two ranges
    expect(spans(s, 1)).toEqual([
      [2, 5],
      [6, 8],
      [8, 12],
    ]);
    expect(s.lazyPageCount(1)).toBe(9);
    expect(s.lazyPageCount(2)).toBe(0);
  });

  it('takes pages the pre-copy source wrote after their round back out: missing again, lazy once registered', () => {
    const s = fresh();
    s.apply(K.PagesPrefilled, 1, 0, 12, PrefillSource.PrecopyRound, 0);
    s.apply(K.PagesDiscarded, 1, 3, 2, 0, 0);
    s.apply(K.PagesDiscarded, 1, 7, 2, 0, 0);
    expect([2, 3, 4, 5].map((p) => s.isPresent(1, p))).toEqual([true, false, false, true]);
    expect(s.lazyPageCount(1)).toBe(0);
    register(s, 1, 0, 0, 8);
    register(s, 1, 1, 8, 4);
    expect(spans(s, 1)).toEqual([
      [3, 5],
      [7, 8],
      [8, 9],
    ]);
    // after registration (the backends never do it, the fold allows it) a dropped page is lazy at once
    s.apply(K.PagesDiscarded, 1, 10, 1, 0, 0);
    expect(s.isLazy(1, 10)).toBe(true);
    expect(s.lazyPageCount(1)).toBe(5);
  });

  it('follows a queued copy: in flight until copied, or until EEXIST; a duplicate changes nothing', () => {
    const s = fresh();
    register(s, 1, 0, 0, 8);
    s.apply(K.CopyQueued, 1, 2, 3, CopyCause.Prefetch, CopyPriority.Prefetch);
    expect([2, 3, 4].map((p) => s.isInFlight(1, p))).toEqual([true, true, true]);
    expect(s.isLazy(1, 3)).toBe(false);
    // in-flight pages are still in the lazy IOV list: they are not present yet
    expect(s.lazyPageCount(1)).toBe(8);

    s.apply(K.CopyRejected, 1, 2, 1, RejectReason.Duplicate, CopyCause.Prefetch);
    expect(s.isInFlight(1, 2)).toBe(true);
    s.apply(K.CopyRejected, 1, 2, 1, RejectReason.Eexist, CopyCause.Prefetch);
    expect(s.isInFlight(1, 2)).toBe(false);
    expect(s.isLazy(1, 2)).toBe(true);

    s.apply(K.PagesCopied, 1, 3, 2, CopyCause.Prefetch, 1);
    expect(s.isInFlight(1, 3)).toBe(false);
    expect(s.isPresent(1, 3)).toBe(true);
    expect(s.isPresent(1, 4)).toBe(true);
    expect(spans(s, 1)).toEqual([
      [0, 3],
      [5, 8],
    ]);
    expect(s.inFlightBitmap(1)!.count()).toBe(0);
    expect(s.presentBitmap(1)!.count()).toBe(2);
  });

  it('splits a lazy range when a zero page is mapped in its middle', () => {
    const s = fresh();
    register(s, 1, 1, 8, 4);
    s.apply(K.ZeroPageMapped, 1, 9, 1, 0, 0);
    expect(s.isPresent(1, 9)).toBe(true);
    expect(spans(s, 1)).toEqual([
      [8, 9],
      [10, 12],
    ]);
    expect(s.lazyIovs(1)!.rangeCount).toBe(2);
  });

  it('makes a collapsed huge page range present (the holes included)', () => {
    const s = fresh();
    s.apply(K.PagesPrefilled, 1, 1, 1, PrefillSource.Image, 0);
    s.apply(K.HugePageCollapsed, 1, 0, 0, 8, 0);
    register(s, 1, 0, 0, 8);
    expect(s.presentBitmap(1)!.count()).toBe(8);
    expect(s.lazyPageCount(1)).toBe(0);
    expect(s.isLazy(1, 5)).toBe(false);
  });

  it('forgets removed VMA pages and keeps processes apart', () => {
    const s = fresh();
    register(s, 1, 0, 0, 8);
    register(s, 2, 0, 0, 4);
    s.apply(K.CopyQueued, 1, 6, 2, CopyCause.Background, CopyPriority.Background);
    s.apply(K.VmaRemoved, 1, 4, 4, 0, 0);
    expect(spans(s, 1)).toEqual([[0, 4]]);
    expect(s.isRegistered(1, 6)).toBe(false);
    expect(s.isInFlight(1, 6)).toBe(false);
    expect(s.isLazy(1, 6)).toBe(false);
    expect(spans(s, 2)).toEqual([[0, 4]]);
    s.apply(K.VmaUnmapped, 2, 0, 1, 0, 0);
    expect(spans(s, 2)).toEqual([[1, 4]]);
    expect(spans(s, 1)).toEqual([[0, 4]]);
  });

  it('finds the lazy range at or above a page without wrapping', () => {
    const s = fresh();
    register(s, 1, 0, 0, 8);
    register(s, 1, 1, 8, 4);
    s.apply(K.PagesCopied, 1, 2, 2, CopyCause.Demand, 1);
    expect(s.lazyRangeFrom(1, 0)).toEqual({ pid: 1, page: 0, count: 2 });
    expect(s.lazyRangeFrom(1, 1)).toEqual({ pid: 1, page: 1, count: 1 });
    expect(s.lazyRangeFrom(1, 2)).toEqual({ pid: 1, page: 4, count: 4 });
    expect(s.lazyRangeFrom(1, 9)).toEqual({ pid: 1, page: 9, count: 3 });
    expect(s.lazyRangeFrom(1, 12)).toBeUndefined();
    expect(s.lazyRangeFrom(2, 0)).toBeUndefined();
  });

  it('ignores events of pids the image does not have', () => {
    const s = fresh();
    s.apply(K.VmaRegistered, 99, 0, 0, 8, 1);
    s.apply(K.PagesCopied, 99, 0, 1, CopyCause.Demand, 1);
    expect(s.isPresent(99, 0)).toBe(false);
    expect(s.isLazy(99, 0)).toBe(false);
    expect(s.lazyRanges(99)).toEqual([]);
    expect(s.lazyPageCount(99)).toBe(0);
    expect(s.presentBitmap(99)).toBeUndefined();
  });
});
