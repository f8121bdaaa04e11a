import { CopyCause, EventKind, PageFlag, PageState } from '@restorelab/core';
import { tinyImage } from '@restorelab/core/testing';
import { nextLazyRun } from './background-chunk';

describe('nextLazyRun', () => {
  it('finds what a page-by-page scan of lazy pages with content finds, across word boundaries', () => {
    let seed = 7;
    // the generator's high bits: its low ones repeat with a short period
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % n;
    for (let round = 0; round < 30; round++) {
      const holes = new Set<number>();
      for (let k = 0; k < 8; k++) {
        const at = rnd(240);
        const len = 1 + rnd(rnd(2) ? 3 : 70);
        for (let i = at; i < at + len; i++) holes.add(i);
      }
      const image = tinyImage([{ pid: 1, vmas: [150, 90], flags: (i) => (holes.has(i) ? 0 : PageFlag.Content) }]);
      const proc = image.processes[0];
      const s = new PageState(image);
      s.apply(EventKind.VmaRegistered, 1, 0, 0, 150, 1);
      s.apply(EventKind.VmaRegistered, 1, 1, 150, 90, 1);
      for (let k = 0; k < 8; k++) {
        const kind = [EventKind.PagesCopied, EventKind.CopyQueued][rnd(2)];
        s.apply(kind, 1, rnd(240), 1 + rnd(rnd(2) ? 4 : 60), kind === EventKind.CopyQueued ? CopyCause.Background : 0, 0);
      }
      const vmaEnd = (i: number) => (i < 150 ? 150 : 240);
      for (let from = 0; from < 242; from += 1 + rnd(5))
        for (const max of [1, 3, 16, 64, 1024]) {
          let want: [number, number] | undefined;
          for (let i = from; i < 240 && !want; i++) {
            if (!s.isLazy(1, i) || holes.has(i)) continue;
            let j = i + 1;
            while (j < vmaEnd(i) && j - i < max && s.isLazy(1, j) && !holes.has(j)) j++;
            want = [i, j - i];
          }
          const got = nextLazyRun(s, proc, from, max, true);
          expect([round, from, max, got ? [got.page, got.count] : undefined]).toEqual([round, from, max, want]);
        }
    }
  });
});
