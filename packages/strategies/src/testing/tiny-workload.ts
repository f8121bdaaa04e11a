import { GeneratedImage, PageFlag, ProcessTrace, ThpAdvice, VmaImage, Workload } from '@restorelab/core';

export interface TinyProcess {
  readonly pid: number;
  readonly parent?: number | null;
  /** Pages per VMA, laid end to end in linear page space. */
  readonly vmas: readonly number[];
  readonly thp?: ThpAdvice;
  /** Flags per page (default: Content). */
  readonly flags?: (page: number) => number;
  /** Source-side accesses (before the migrate marker). */
  readonly source?: readonly number[];
  /** Restore-phase accesses. */
  readonly accesses?: readonly number[];
}

/** A hand-made workload for unit tests: a few processes, a few VMAs, explicit flags and traces. */
export function tinyWorkload(processes: readonly TinyProcess[], name = 'tiny'): Workload {
  const procs = processes.map((p) => {
    let first = 0;
    const vmas: VmaImage[] = p.vmas.map((pages, index) => {
      const v: VmaImage = {
        index,
        start: 0x10000000 + first * 4096 + index * 0x200000,
        pages,
        firstPage: first,
        prot: 'rw',
        shared: false,
        anon: true,
        thp: p.thp ?? 'default',
        collapseBeforeRegister: false,
      };
      first += pages;
      return v;
    });
    const flags = new Uint8Array(first);
    for (let i = 0; i < first; i++) flags[i] = p.flags ? p.flags(i) : PageFlag.Content;
    return { pid: p.pid, parent: p.parent ?? null, vmas, pageFlags: flags };
  });
  const traces: ProcessTrace[] = processes.map((p) => {
    const page = Uint32Array.from([...(p.source ?? []), ...(p.accesses ?? [])]);
    return { pid: p.pid, page, write: new Uint8Array(page.length), gapNs: new Uint32Array(page.length), migrateAt: p.source?.length ?? 0 };
  });
  return { spec: name, name, params: {}, image: new GeneratedImage(name, 1, procs), traces };
}
