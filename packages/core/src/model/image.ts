import { PAGE_SIZE, PAGES_PER_HUGE_PAGE, PageRange } from './page';

/** Per-page flags of the image's pagemap (bits of ProcessImage.pageFlags). */
export const PageFlag = {
  /** The page has content in the pages blob; without it the page is a zero page. */
  Content: 1,
  /** Pre-dumped: already in memory before the restored process runs (filled before uffd registration). */
  Precopied: 2,
  /** COW-shared with the parent process at fork time: same content as the parent's page. */
  SharedWithParent: 4,
} as const;

export type ThpAdvice = 'default' | 'hugepage' | 'nohugepage';

export interface VmaImage {
  /** Index of this VMA in its process. */
  readonly index: number;
  /** Virtual address of the first byte (page aligned), as in the checkpointed process. */
  readonly start: number;
  readonly pages: number;
  /** Linear index of the VMA's first page in the process (VMAs are laid end to end in this space). */
  readonly firstPage: number;
  readonly prot: 'r' | 'rw';
  readonly shared: boolean;
  readonly anon: boolean;
  readonly thp: ThpAdvice;
  /** khugepaged would collapse this VMA between prefill and uffd registration (seed 001). */
  readonly collapseBeforeRegister: boolean;
  /**
   * Backed by 2 MiB hugetlbfs pages (MAP_HUGETLB): restored a huge page at a time, each of its
   * PAGES_PER_HUGE_PAGE pages copied with the others (validateImage: 2 MiB aligned, every page content).
   */
  readonly hugetlb: boolean;
}

export interface ProcessImage {
  readonly pid: number;
  /** Parent pid in the fork tree, or null for the root. */
  readonly parent: number | null;
  readonly vmas: readonly VmaImage[];
  /** Total pages of all VMAs: linear page indices run from 0 to totalPages-1. */
  readonly totalPages: number;
  /** One PageFlag bit set per linear page. */
  readonly pageFlags: Uint8Array;
  /** Byte offset of this process's first page in the pages blob; page i lives at blobOffset + i*PAGE_SIZE. */
  readonly blobOffset: number;
}

export interface Image {
  readonly name: string;
  readonly pageSize: number;
  readonly processes: readonly ProcessImage[];
  /** Size of the pages blob in bytes: the sum of every process's totalPages * pageSize. */
  readonly blobBytes: number;
  /**
   * Content of one page, written into dst (PAGE_SIZE bytes). Zero pages are all zero.
   * Generated images compute it; images read from disk read the blob.
   */
  readPage(pid: number, page: number, dst: Uint8Array): void;
}

export function findProcess(image: Image, pid: number): ProcessImage {
  const p = image.processes.find((x) => x.pid === pid);
  if (!p) throw new Error(`image has no process ${pid}`);
  return p;
}

/** The VMA holding linear page `page` (binary search; VMAs are sorted by firstPage). */
export function vmaOfPage(proc: ProcessImage, page: number): VmaImage | undefined {
  const v = proc.vmas;
  let lo = 0;
  let hi = v.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = v[mid];
    if (page < m.firstPage) hi = mid - 1;
    else if (page >= m.firstPage + m.pages) lo = mid + 1;
    else return m;
  }
  return undefined;
}

/** The VMA holding virtual page `vpn` (address >> 12; binary search: VMAs are sorted by address). */
export function vmaOfAddressPage(vmas: readonly VmaImage[], vpn: number): VmaImage | undefined {
  let lo = 0;
  let hi = vmas.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = vmas[mid];
    const first = v.start / PAGE_SIZE;
    if (vpn < first) hi = mid - 1;
    else if (vpn >= first + v.pages) lo = mid + 1;
    else return v;
  }
  return undefined;
}

/** The first page of the huge page that holds `page` of hugetlb VMA `vma`. */
export function hugePageStart(vma: VmaImage, page: number): number {
  return vma.firstPage + Math.floor((page - vma.firstPage) / PAGES_PER_HUGE_PAGE) * PAGES_PER_HUGE_PAGE;
}

/** The pages a copy of [page, end) in `vma` really places: the whole huge pages it touches in a hugetlb VMA. */
export function placementRange(vma: VmaImage, page: number, end: number): { readonly page: number; readonly end: number } {
  if (!vma.hugetlb) return { page, end };
  return { page: hugePageStart(vma, page), end: Math.min(hugePageStart(vma, end - 1) + PAGES_PER_HUGE_PAGE, vma.firstPage + vma.pages) };
}

/** The 2 MiB huge pages the image's hugetlb VMAs need. */
export function hugetlbPagesNeeded(image: Image): number {
  let n = 0;
  for (const p of image.processes) for (const v of p.vmas) if (v.hugetlb) n += v.pages / PAGES_PER_HUGE_PAGE;
  return n;
}

/** Whether any VMA of the image is hugetlb. */
export function hasHugetlb(image: Image): boolean {
  return hugetlbPagesNeeded(image) > 0;
}

export function pageAddress(vma: VmaImage, page: number, pageSize: number): number {
  return vma.start + (page - vma.firstPage) * pageSize;
}

/** Pages with contents in the blob, over all processes (what a pages file holds outside its holes). */
export function contentPages(image: Image): number {
  let n = 0;
  for (const p of image.processes) {
    const f = p.pageFlags;
    for (let i = 0; i < f.length; i++) if (f[i] & PageFlag.Content) n++;
  }
  return n;
}

export type { PageRange };
