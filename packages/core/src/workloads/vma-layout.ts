import { ThpAdvice, VmaImage } from '../model/image';
import { PAGE_SIZE } from '../model/page';

/** Where generated workloads put their first VMA. */
export const VMA_BASE = 0x100000000000;
export const HUGE_PAGE_BYTES = 2 * 1024 * 1024;

export interface VmaLayoutOptions {
  readonly thp?: ThpAdvice;
  readonly collapseBeforeRegister?: boolean;
  /** The first this many VMAs are hugetlb (their sizes must be whole huge pages: unitPages 512). */
  readonly hugetlbVmas?: number;
  /** Every VMA's size is a multiple of this many pages (the total must be too). */
  readonly unitPages?: number;
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/**
 * Splits `pages` into `count` VMAs as evenly as possible (the first ones get the remainder), placed
 * at 2 MiB-aligned addresses from VMA_BASE with a 2 MiB gap between one VMA's end and the next start.
 */
export function layoutVmas(pages: number, count: number, options: VmaLayoutOptions = {}): VmaImage[] {
  const unit = options.unitPages ?? 1;
  const units = pages / unit;
  if (!Number.isInteger(units) || units < count) throw new Error(`cannot split ${pages} pages into ${count} VMAs of whole ${unit}-page units`);
  const base = Math.floor(units / count);
  const extra = units % count;
  const vmas: VmaImage[] = [];
  let address = VMA_BASE;
  let firstPage = 0;
  for (let i = 0; i < count; i++) {
    const n = (base + (i < extra ? 1 : 0)) * unit;
    vmas.push({
      index: i,
      start: address,
      pages: n,
      firstPage,
      prot: 'rw',
      shared: false,
      anon: true,
      thp: options.thp ?? 'default',
      collapseBeforeRegister: options.collapseBeforeRegister ?? false,
      hugetlb: i < (options.hugetlbVmas ?? 0),
    });
    firstPage += n;
    address = alignUp(address + n * PAGE_SIZE + HUGE_PAGE_BYTES, HUGE_PAGE_BYTES);
  }
  return vmas;
}
