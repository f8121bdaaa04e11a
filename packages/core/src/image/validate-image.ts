import { UsageError } from '../errors/usage-error';
import { Image, PageFlag, ProcessImage } from '../model/image';
import { IMAGE_LIMITS } from '../model/image-limits';
import { PAGE_SIZE, PAGES_PER_HUGE_PAGE } from '../model/page';


/** The part of an image (or of a manifest) the rules look at. */
export interface ImageLayout {
  readonly pageSize: number;
  readonly processes: readonly ProcessLayout[];
}

export interface ProcessLayout {
  readonly pid: number;
  readonly parent: number | null;
  readonly totalPages: number;
  readonly vmas: readonly { readonly start: number; readonly pages: number; readonly firstPage: number }[];
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * The rules every restored image obeys before anything is mapped, allocated or forked: one root
 * and parents before children, pids a kernel can have, VMAs page aligned, sorted, disjoint, laid
 * end to end in page space and inside the user half above mmap_min_addr, sizes within
 * IMAGE_LIMITS. Throws a one-line UsageError prefixed by `where`.
 */
export function validateImageLayout(image: ImageLayout, where: string): void {
  const bad = (what: string) => new UsageError(`${where}: ${what}`);
  if (image.pageSize !== PAGE_SIZE) throw bad(`page size ${image.pageSize}, only ${PAGE_SIZE} is supported`);
  const n = image.processes.length;
  if (n === 0) throw bad('no processes');
  if (n > IMAGE_LIMITS.maxProcesses) throw bad(`${n} processes, at most ${IMAGE_LIMITS.maxProcesses}`);
  const seen = new Set<number>();
  let roots = 0;
  let total = 0;
  for (const p of image.processes) {
    if (!Number.isSafeInteger(p.pid) || p.pid < 1 || p.pid > IMAGE_LIMITS.maxPid) throw bad(`pid ${p.pid} is not a pid (1..${IMAGE_LIMITS.maxPid})`);
    const who = `process ${p.pid}`;
    if (seen.has(p.pid)) throw bad(`pid ${p.pid} appears twice`);
    if (p.parent === null) roots++;
    else if (!seen.has(p.parent)) throw bad(`${who}: parent ${p.parent} is not an earlier process`);
    if (roots > 1) throw bad(`${who} is a second root process (an image is one process tree: every process but the first has a parent)`);
    seen.add(p.pid);
    if (p.vmas.length > IMAGE_LIMITS.maxVmasPerProcess) throw bad(`${who}: ${p.vmas.length} VMAs, at most ${IMAGE_LIMITS.maxVmasPerProcess}`);
    let first = 0;
    let end = IMAGE_LIMITS.minAddress;
    for (let i = 0; i < p.vmas.length; i++) {
      const v = p.vmas[i];
      const at = `${who}: VMA ${i}`;
      if (!Number.isSafeInteger(v.pages) || v.pages < 1) throw bad(`${at} has ${v.pages} pages`);
      if (v.firstPage !== first) throw bad(`${at} starts at page ${v.firstPage}, expected ${first}`);
      if (!Number.isSafeInteger(v.start) || v.start >= IMAGE_LIMITS.userTop) throw bad(`${at} starts at ${v.start}, not in the user half (below ${hex(IMAGE_LIMITS.userTop)})`);
      if (v.start % PAGE_SIZE !== 0) throw bad(`${at} start ${v.start} is not page aligned`);
      if (v.start < end) {
        throw bad(
          i === 0
            ? `${at} starts at ${hex(v.start)}, below ${hex(IMAGE_LIMITS.minAddress)} (mmap_min_addr)`
            : `${at} at ${hex(v.start)} overlaps or precedes VMA ${i - 1}, which ends at ${hex(end)} (VMAs are sorted and disjoint)`,
        );
      }
      if (v.pages > (IMAGE_LIMITS.userTop - v.start) / PAGE_SIZE) {
        throw bad(`${at} at ${hex(v.start)} of ${v.pages} pages ends past ${hex(IMAGE_LIMITS.userTop)}, the top of user space`);
      }
      end = v.start + v.pages * PAGE_SIZE;
      first += v.pages;
    }
    if (first !== p.totalPages) throw bad(`${who}: VMAs cover ${first} pages, totalPages is ${p.totalPages}`);
    total += first;
    if (total > IMAGE_LIMITS.maxTotalPages) throw bad(`more than ${IMAGE_LIMITS.maxTotalPages} pages in all (${IMAGE_LIMITS.maxTotalPages / 2 ** 18} GiB)`);
  }
}

/** validateImageLayout, and each process's page flags and place in the blob. */
export function validateImage(image: Image, where: string): void {
  validateImageLayout(image, where);
  let offset = 0;
  for (const p of image.processes) {
    if (p.pageFlags.length !== p.totalPages) throw new UsageError(`${where}: process ${p.pid} has ${p.pageFlags.length} page flags for ${p.totalPages} pages`);
    if (p.blobOffset !== offset) throw new UsageError(`${where}: process ${p.pid} blobOffset ${p.blobOffset}, expected ${offset} (processes are laid end to end)`);
    offset += p.totalPages * image.pageSize;
  }
  if (offset !== image.blobBytes) throw new UsageError(`${where}: blobBytes ${image.blobBytes}, the processes need ${offset}`);
  for (const p of image.processes) validateHugetlbVmas(p, image.processes.length, where);
}

/**
 * A hugetlb VMA is restored a 2 MiB page at a time (UFFDIO_COPY of a whole huge page; the kernel has
 * no UFFDIO_ZEROPAGE and no partial copy for hugetlbfs): it is whole huge pages at a 2 MiB aligned
 * address, private anonymous and writable, every page content (a zero page is copied as zeros),
 * none pre-dumped, in an image of one process.
 */
function validateHugetlbVmas(p: ProcessImage, processes: number, where: string): void {
  const huge = PAGES_PER_HUGE_PAGE * PAGE_SIZE;
  for (const v of p.vmas) {
    if (!v.hugetlb) continue;
    const bad = (what: string) => new UsageError(`${where}: process ${p.pid}: hugetlb VMA ${v.index} ${what}`);
    if (v.start % huge !== 0) throw bad(`starts at 0x${v.start.toString(16)}, not 2 MiB aligned`);
    if (v.pages % PAGES_PER_HUGE_PAGE !== 0) throw bad(`has ${v.pages} pages, not a multiple of ${PAGES_PER_HUGE_PAGE} (whole 2 MiB pages)`);
    if (v.prot !== 'rw' || v.shared || !v.anon) throw bad('is not private anonymous writable memory');
    if (v.thp !== 'default' || v.collapseBeforeRegister) throw bad('has THP advice (hugetlbfs pages are not transparent huge pages)');
    if (processes !== 1) throw bad(`is in an image of ${processes} processes (hugetlb VMAs are restored in single-process images)`);
    for (let i = v.firstPage; i < v.firstPage + v.pages; i++) {
      if (p.pageFlags[i] !== PageFlag.Content) throw bad(`page ${i} has flags ${p.pageFlags[i]}: every page of a hugetlb VMA is content, none pre-dumped or shared`);
    }
  }
}
