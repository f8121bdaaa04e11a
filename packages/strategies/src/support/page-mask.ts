import { forEachRun, Image, PageRange } from '@restorelab/core';

/**
 * Pages chosen per process, one byte per page, turned into ascending ranges of consecutive pages:
 * how plan hooks coalesce single pages into few prefill/precopy calls.
 */
export class PageMask {
  private readonly masks = new Map<number, Uint8Array>();

  constructor(private readonly image: Image) {}

  add(pid: number, page: number): void {
    let m = this.masks.get(pid);
    if (!m) {
      const p = this.image.processes.find((x) => x.pid === pid);
      if (!p) throw new Error(`image has no process ${pid}`);
      m = new Uint8Array(p.totalPages);
      this.masks.set(pid, m);
    }
    m[page] = 1;
  }

  /** Ranges in image process order, ascending pages within a process. */
  ranges(): PageRange[] {
    const out: PageRange[] = [];
    for (const p of this.image.processes) {
      const m = this.masks.get(p.pid);
      if (m) forEachRun(m, 1, (page, count) => out.push({ pid: p.pid, page, count }));
    }
    return out;
  }
}
