import { PageFlag, PAGE_SIZE } from '@restorelab/core';
import { PageBit, SimProcess } from './sim-process';

const CLEAR_ON_FILL = ~(PageBit.Shared | PageBit.Claimed | PageBit.Bad | PageBit.Cached);

export interface MemorySample {
  readonly rssBytes: number;
  readonly pssBytes: number;
  readonly privateBytes: number;
}

export interface Verification {
  readonly checked: number;
  readonly mismatched: number;
  readonly unrestored: number;
  /** The first mismatching pages (touch order, then untouched ones ascending), at most `limit`. */
  readonly firstMismatches: number[];
}

/**
 * Page contents and COW sharing of the restored tree. A page made present by a copy, a zero page or
 * a prefill is private to its process and holds the image's content. A child's page inherited at
 * fork maps its parent's physical page (shared, PSS split across the sharers) until the child, or
 * any other sharer, writes it. The zero holes of a collapsed huge page are wrong content for pages
 * that have content in the image.
 */
export class MemoryModel {
  /**
   * cacheSame: with the copy engine continue, per process the pages its memfds hold for it (the
   * engine maps those from the page cache, a process's first write copies them); else undefined.
   */
  constructor(
    private readonly procs: readonly SimProcess[],
    private readonly baseBytes: number,
    private readonly cacheSame?: readonly Uint8Array[],
  ) {}

  /** The monitor placed [page, page+count): they hold their image content, privately or (continue) from the page cache. */
  fill(p: SimProcess, page: number, count: number): void {
    const f = p.flags;
    const same = this.cacheSame?.[p.index];
    for (let i = page, e = page + count; i < e; i++) {
      const x = f[i];
      if (x & PageBit.Shared) this.unshare(p, i);
      f[i] = (x & CLEAR_ON_FILL) | (same && same[i] ? PageBit.Cached : 0);
    }
  }

  /** The runner wrote [page, page+count) before registration: private anonymous copies. */
  prefill(p: SimProcess, page: number, count: number): void {
    const f = p.flags;
    for (let i = page, e = page + count; i < e; i++) {
      const x = f[i];
      if (x & PageBit.Shared) this.unshare(p, i);
      f[i] = x & CLEAR_ON_FILL;
    }
  }

  /**
   * A pre-copy round wrote [page, page+count) from the live source before registration: private
   * copies, holding the image's content unless `stale(i)` (the source had not yet written its
   * final content when it was read).
   */
  sendFromSource(p: SimProcess, page: number, count: number, stale: (i: number) => boolean): void {
    this.prefill(p, page, count);
    for (let i = page, e = page + count; i < e; i++) if (stale(i)) p.flags[i] |= PageBit.Bad;
  }

  /** [page, page+count) were dropped (MADV_DONTNEED before registration): whatever they held is gone. */
  discard(p: SimProcess, page: number, count: number): void {
    const f = p.flags;
    for (let i = page, e = page + count; i < e; i++) f[i] &= CLEAR_ON_FILL;
  }

  /** khugepaged collapsed [page, page+count): present pages keep their content, holes become zero pages. */
  collapse(p: SimProcess, page: number, count: number): void {
    const f = p.flags;
    const content = p.image.pageFlags;
    const present = p.pages.present;
    for (let i = page, e = page + count; i < e; i++) {
      const x = f[i];
      if (present.get(i)) {
        if (x & PageBit.Shared) this.unshare(p, i);
        f[i] = x & ~PageBit.Shared;
      } else {
        f[i] = x | (content[i] & PageFlag.Content ? PageBit.Bad : 0);
      }
    }
  }

  /** The child maps the parent's page i at fork (COW). */
  inherit(parent: SimProcess, child: SimProcess, i: number): void {
    parent.ensureSharing();
    child.ensureSharing();
    const pf = parent.flags[i];
    let owner: number;
    if (pf & PageBit.Shared) {
      owner = parent.origin![i];
    } else {
      owner = parent.index;
      parent.flags[i] = pf | PageBit.Shared;
      parent.origin![i] = owner;
      parent.sharers![i] = 1;
    }
    this.procs[owner].sharers![i]++;
    child.origin![i] = owner;
    child.flags[i] = (child.flags[i] & ~PageBit.Bad) | PageBit.Shared | (pf & PageBit.Bad);
  }

  /** A write to a shared page: the process gets its own copy (COW break). */
  unshare(p: SimProcess, i: number): void {
    const owner = this.procs[p.origin![i]];
    owner.sharers![i]--;
    p.flags[i] &= ~PageBit.Shared;
  }

  sample(p: SimProcess): MemorySample {
    const f = p.flags;
    const isPresent = p.pages.present;
    let present = 0;
    let privatePages = 0;
    let sharedPss = 0;
    for (let i = 0, n = f.length; i < n; i++) {
      const x = f[i];
      if (!isPresent.get(i)) continue;
      present++;
      if (x & PageBit.Shared) {
        const s = this.procs[p.origin![i]].sharers![i];
        if (s > 1) {
          sharedPss += PAGE_SIZE / s;
          continue;
        }
      }
      privatePages++;
    }
    const base = this.baseBytes;
    return {
      rssBytes: present * PAGE_SIZE + base,
      pssBytes: Math.round(privatePages * PAGE_SIZE + sharedPss) + base,
      privateBytes: privatePages * PAGE_SIZE + base,
    };
  }

  /**
   * The first touch of a present page compares it to the image (before any write); a write to a
   * shared page breaks the sharing. Returns whether it did (a copy-on-write fault).
   */
  touch(p: SimProcess, i: number, write: boolean, limit: number): boolean {
    const f = p.flags;
    const x = f[i];
    if (!(x & PageBit.Touched)) {
      if (x & PageBit.Bad) {
        if (p.touchMismatches++ < limit) p.firstMismatches.push(i);
      }
      f[i] = x | PageBit.Touched;
    }
    if (write && x & PageBit.Cached) {
      f[i] &= ~PageBit.Cached;
      return true;
    }
    if (!(write && x & PageBit.Shared)) return false;
    this.unshare(p, i);
    return true;
  }

  /**
   * At the end of the workload: the pages checked at their first touch, then every untouched
   * present page (ascending); registered pages never made present are unrestored.
   */
  verify(p: SimProcess, limit: number): Verification {
    const f = p.flags;
    const { present, registered } = p.pages;
    let checked = 0;
    let mismatched = p.touchMismatches;
    let unrestored = 0;
    const firstMismatches = p.firstMismatches.slice(0, limit);
    for (let i = 0, n = f.length; i < n; i++) {
      const x = f[i];
      if (present.get(i)) {
        checked++;
        if ((x & (PageBit.Bad | PageBit.Touched)) === PageBit.Bad) {
          if (mismatched < limit) firstMismatches.push(i);
          mismatched++;
        }
      } else if (registered.get(i)) {
        unrestored++;
      }
    }
    return { checked, mismatched, unrestored, firstMismatches };
  }
}

/** Calls fn(page, count) for each run of pages whose flags have `bit`, ascending. */
export function forEachBitRun(flags: Uint8Array, bit: number, fn: (page: number, count: number) => void): void {
  const n = flags.length;
  let i = 0;
  while (i < n) {
    if (!(flags[i] & bit)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && flags[j] & bit) j++;
    fn(i, j - i);
    i = j;
  }
}
