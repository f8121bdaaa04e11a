import { Image, PageFlag, ProcessImage, VmaImage } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { hash32 } from './random';

export interface GeneratedProcess {
  readonly pid: number;
  readonly parent: number | null;
  readonly vmas: readonly VmaImage[];
  readonly pageFlags: Uint8Array;
}

const WORDS = PAGE_SIZE / 4;

/**
 * The content of a content page: word 0 is the page index, word 1 the pid (readable in a hex dump),
 * the rest is xorshift32 seeded by a hash of (seed, pid, page). Never all zero.
 */
export function fillPageContent(seed: number, pid: number, page: number, words: Uint32Array): void {
  words[0] = page;
  words[1] = pid;
  let x = hash32(seed, pid, page) || 0x9e3779b9;
  for (let i = 2; i < WORDS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
}

/**
 * An image whose pages are computed, not stored: deterministic and distinct per (seed, pid, page).
 * A page flagged SharedWithParent has exactly its parent's content for the same linear page (fork
 * children share their parent's VMA layout); pages without the Content flag are zero.
 */
export class GeneratedImage implements Image {
  readonly pageSize = PAGE_SIZE;
  readonly processes: readonly ProcessImage[];
  readonly blobBytes: number;
  private readonly byPid = new Map<number, ProcessImage>();
  private readonly scratch = new Uint32Array(WORDS);

  constructor(
    readonly name: string,
    readonly seed: number,
    processes: readonly GeneratedProcess[],
  ) {
    let offset = 0;
    this.processes = processes.map((p) => {
      let total = 0;
      for (const v of p.vmas) {
        if (v.firstPage !== total) throw new Error(`pid ${p.pid}: VMA ${v.index} must start at linear page ${total}`);
        total += v.pages;
      }
      if (p.pageFlags.length !== total) throw new Error(`pid ${p.pid}: ${p.pageFlags.length} page flags for ${total} pages`);
      const proc: ProcessImage = { pid: p.pid, parent: p.parent, vmas: p.vmas, totalPages: total, pageFlags: p.pageFlags, blobOffset: offset };
      offset += total * PAGE_SIZE;
      this.byPid.set(p.pid, proc);
      return proc;
    });
    this.blobBytes = offset;
    for (const p of this.processes) {
      if (p.parent !== null && !this.byPid.has(p.parent)) throw new Error(`pid ${p.pid}: parent ${p.parent} is not in the image`);
    }
  }

  readPage(pid: number, page: number, dst: Uint8Array): void {
    const own = this.byPid.get(pid);
    if (!own) throw new Error(`image has no process ${pid}`);
    let proc: ProcessImage = own;
    if (!(page >= 0 && page < proc.totalPages)) throw new Error(`pid ${pid} has no page ${page}`);
    if (dst.length < PAGE_SIZE) throw new Error(`readPage needs ${PAGE_SIZE} bytes, got ${dst.length}`);
    let flags = proc.pageFlags[page];
    if (!(flags & PageFlag.Content)) {
      dst.fill(0, 0, PAGE_SIZE);
      return;
    }
    while (flags & PageFlag.SharedWithParent && proc.parent !== null) {
      const parent: ProcessImage = this.byPid.get(proc.parent)!;
      if (page >= parent.totalPages) break;
      proc = parent;
      flags = proc.pageFlags[page];
    }
    if ((dst.byteOffset & 3) === 0) {
      fillPageContent(this.seed, proc.pid, page, new Uint32Array(dst.buffer, dst.byteOffset, WORDS));
    } else {
      fillPageContent(this.seed, proc.pid, page, this.scratch);
      dst.set(new Uint8Array(this.scratch.buffer), 0);
    }
  }
}
