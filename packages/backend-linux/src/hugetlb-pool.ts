import * as fs from 'fs';
import { hugetlbPagesNeeded, Image, UsageError } from '@restorelab/core';

/** Where the kernel counts the 2 MiB huge pages of its hugetlb pool. */
export const HUGETLB_POOL_DIR = '/sys/kernel/mm/hugepages/hugepages-2048kB';

/** The pool's free huge pages (0 when the kernel has no 2 MiB hugetlb pool). */
export function freeHugetlbPages(dir = HUGETLB_POOL_DIR): number {
  try {
    const n = Number(fs.readFileSync(`${dir}/free_hugepages`, 'utf8').trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

/**
 * Before anything is mapped: the hugetlb pool holds a huge page for each one the image's hugetlb
 * VMAs restore (a fault that finds the pool empty gets SIGBUS, not a zero page, but the run is lost).
 */
export function checkHugetlbPool(image: Image, where: string, free = freeHugetlbPages()): void {
  const need = hugetlbPagesNeeded(image);
  if (need === 0 || need <= free) return;
  throw new UsageError(
    `${where} restores ${need} 2 MiB hugetlb pages, the pool has ${free} free (as root: echo ${need} > /proc/sys/vm/nr_hugepages, or more when others use it)`,
  );
}
