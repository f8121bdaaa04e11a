import { Image, PageFlag, ProcessImage, ThpAdvice, VmaImage } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { ProcessTrace, Workload } from '../model/workload';

/** For tests only: a hand-made image and workload small enough to reason about page by page. */
export interface TinyProcess {
  readonly pid: number;
  readonly parent?: number | null;
  /** Pages of each VMA; VMAs are laid end to end in the linear page space. */
  readonly vmas: readonly number[];
  readonly thp?: ThpAdvice;
  /** PageFlag bits of each page; default: every page has content. */
  readonly flags?: (page: number) => number;
  /** Pages touched by the restore phase, in order (reads). */
  readonly accesses?: readonly number[];
  /** Pages touched by the source-side phase, before the migrate marker. */
  readonly sourceAccesses?: readonly number[];
}

export function tinyImage(processes: readonly TinyProcess[], name = 'tiny'): Image {
  let blobOffset = 0;
  const procs: ProcessImage[] = processes.map((p) => {
    let first = 0;
    const vmas: VmaImage[] = p.vmas.map((pages, index) => {
      const v: VmaImage = {
        index,
        // one unmapped page between VMAs, as in a real address space
        start: 0x400000 + (first + index) * PAGE_SIZE,
        pages,
        firstPage: first,
        prot: 'rw',
        shared: false,
        anon: true,
        thp: p.thp ?? 'default',
        collapseBeforeRegister: false,
        hugetlb: false,
      };
      first += pages;
      return v;
    });
    const pageFlags = new Uint8Array(first);
    for (let i = 0; i < first; i++) pageFlags[i] = p.flags ? p.flags(i) : PageFlag.Content;
    const proc: ProcessImage = { pid: p.pid, parent: p.parent ?? null, vmas, totalPages: first, pageFlags, blobOffset };
    blobOffset += first * PAGE_SIZE;
    return proc;
  });
  return {
    name,
    pageSize: PAGE_SIZE,
    processes: procs,
    blobBytes: blobOffset,
    readPage(pid: number, page: number, dst: Uint8Array): void {
      const proc = procs.find((x) => x.pid === pid);
      dst.fill(0, 0, PAGE_SIZE);
      if (!proc || !(proc.pageFlags[page] & PageFlag.Content)) return;
      for (let i = 0; i < PAGE_SIZE; i++) dst[i] = (pid * 131 + page * 7 + i) & 255;
    },
  };
}

export function tinyWorkload(processes: readonly TinyProcess[], name = 'tiny'): Workload {
  const image = tinyImage(processes, name);
  const traces: ProcessTrace[] = processes.map((p) => {
    const pages = [...(p.sourceAccesses ?? []), ...(p.accesses ?? [])];
    return {
      pid: p.pid,
      page: Uint32Array.from(pages),
      write: new Uint8Array(pages.length),
      gapNs: new Uint32Array(pages.length).fill(100),
      migrateAt: p.sourceAccesses?.length ?? 0,
    };
  });
  return { spec: name, name, params: {}, image, traces };
}
