import { CostModel } from './cost-model';
import { PageFlag, vmaOfPage } from '@restorelab/core';
import { SimProcess } from './sim-process';

/**
 * The live source of pre-copy rounds on the virtual clock: the process's source phase (its accesses
 * before the migrate marker), run over and over from the first round on, each access after its gap
 * and sourceAccessNs. Its writes to content pages of writable VMAs are what the rounds see dirty; a
 * page read from it before its last write of the first pass holds stale content (native/precopy-
 * source.c: the source starts with the image's content changed in word 0 of every page its source
 * phase writes, and only a page's last write of the first pass stores the image's word 0).
 */
export class SimSource {
  /** One run of the source phase, ns. */
  readonly passNs: number;
  /** Per access of the phase: its time from the start of a pass. */
  private readonly at: Float64Array;
  /** Per access: the page when it is a write the rounds track, else -1. */
  private readonly written: Int32Array;
  /** Per page: source time of its last tracked write in the first pass (Infinity: never written). */
  readonly lastWrite: Float64Array;
  /** Every page the phase writes, ascending. */
  private readonly allWritten: Uint32Array;
  private readonly stamp: Uint32Array;
  private stampNow = 0;

  constructor(p: SimProcess, m: CostModel) {
    const n = p.start;
    const flags = p.image.pageFlags;
    this.at = new Float64Array(n);
    this.written = new Int32Array(n).fill(-1);
    this.lastWrite = new Float64Array(flags.length).fill(Infinity);
    this.stamp = new Uint32Array(flags.length);
    let t = 0;
    for (let k = 0; k < n; k++) {
      t += p.traceGap[k] + m.sourceAccessNs;
      this.at[k] = t;
      const page = p.tracePage[k];
      if (!p.traceWrite[k] || !(flags[page] & PageFlag.Content) || vmaOfPage(p.image, page)?.prot !== 'rw') continue;
      this.written[k] = page;
      this.lastWrite[page] = t;
    }
    this.passNs = t;
    const all: number[] = [];
    for (let i = 0; i < flags.length; i++) if (this.lastWrite[i] !== Infinity) all.push(i);
    this.allWritten = Uint32Array.from(all);
  }

  /** The distinct pages written at source times in (from, to], ascending. */
  dirtyBetween(from: number, to: number): Uint32Array {
    if (!(to > from) || this.passNs === 0 || this.allWritten.length === 0) return new Uint32Array(0);
    if (to - from >= this.passNs) return this.allWritten.slice();
    const stamp = ++this.stampNow;
    const out: number[] = [];
    let pass = Math.floor(from / this.passNs);
    let k = this.firstAfter(from - pass * this.passNs);
    for (;;) {
      if (k === this.at.length) {
        pass++;
        k = 0;
      }
      if (pass * this.passNs + this.at[k] > to) break;
      const page = this.written[k++];
      if (page >= 0 && this.stamp[page] !== stamp) {
        this.stamp[page] = stamp;
        out.push(page);
      }
    }
    return Uint32Array.from(out).sort();
  }

  /** Index of the first access of a pass after time `t` of it. */
  private firstAfter(t: number): number {
    let lo = 0;
    let hi = this.at.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at[mid] > t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
