import { PAGE_SIZE } from '../model/page';
import { HUGE_PAGE_BYTES, layoutVmas, VMA_BASE } from './vma-layout';

describe('layoutVmas', () => {
  it('splits pages evenly, first VMAs take the remainder, 2 MiB aligned with a 2 MiB gap', () => {
    const v = layoutVmas(1030, 4);
    expect(v.map((x) => x.pages)).toEqual([258, 258, 257, 257]);
    expect(v.map((x) => x.firstPage)).toEqual([0, 258, 516, 773]);
    expect(v[0].start).toBe(0x100000000000);
    expect(v[0].start).toBe(VMA_BASE);
    for (let i = 1; i < v.length; i++) {
      expect(v[i].start % HUGE_PAGE_BYTES).toBe(0);
      const prevEnd = v[i - 1].start + v[i - 1].pages * PAGE_SIZE;
      expect(v[i].start - prevEnd).toBeGreaterThanOrEqual(HUGE_PAGE_BYTES);
      expect(v[i].start - prevEnd).toBeLessThan(2 * HUGE_PAGE_BYTES);
    }
    expect(v.map((x) => x.index)).toEqual([0, 1, 2, 3]);
  });

  it('a VMA of whole huge pages is followed by exactly a 2 MiB gap', () => {
    const v = layoutVmas(2048, 2, { unitPages: 512, thp: 'hugepage', collapseBeforeRegister: true });
    expect(v[1].start).toBe(VMA_BASE + 1024 * PAGE_SIZE + HUGE_PAGE_BYTES);
    expect(v.every((x) => x.thp === 'hugepage' && x.collapseBeforeRegister)).toBe(true);
    expect(() => layoutVmas(1000, 2, { unitPages: 512 })).toThrow();
  });
});
