import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../errors/usage-error';
import { fileError, openRegularFile, readFullyAt } from '../io/regular-file';
import { IMAGE_LIMITS } from '../model/image-limits';
import { Image, PageFlag, ProcessImage, ThpAdvice, VmaImage, vmaOfAddressPage } from '../model/image';
import { validateImageLayout } from '../image/validate-image';
import { PAGE_SIZE } from '../model/page';
import { readCriuEntries } from './criu-image-file';
import { CRIU_IMAGES_VERSION, CRIU_MAGIC, MADV_HUGEPAGE, MADV_NOHUGEPAGE, PagemapFlag, PROT_WRITE, VmaStatus } from './criu-schema';

/** VMA kinds a lazy restore gets from the pages (the rest come from files, owners or the kernel). */
const NOT_RESTORED = VmaStatus.Vsyscall | VmaStatus.Vdso | VmaStatus.Vvar | VmaStatus.Guard | VmaStatus.Uprobes | VmaStatus.Unsupported | VmaStatus.Aioring | VmaStatus.Sysvipc | VmaStatus.Socket | VmaStatus.Memfd;

export interface CriuDumpOptions {
  /** The one process of the dump's tree to import (default: every process with memory, in tree order). */
  readonly pid?: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

function thpOf(madv: number): ThpAdvice {
  const bit = (b: number) => Math.floor(madv / 2 ** b) % 2 === 1;
  if (bit(MADV_NOHUGEPAGE)) return 'nohugepage';
  if (bit(MADV_HUGEPAGE)) return 'hugepage';
  return 'default';
}

/** Where a process's pages are in its pages-ID.img. */
export interface CriuPagesSource {
  readonly pagesFile: string;
  /** Byte offset in pagesFile of each linear page with content, -1 for a zero page. */
  readonly offsets: Float64Array;
}

/** A run of linear pages whose contents lie one after the other in a pages file. */
export interface CriuPageRun {
  readonly page: number;
  readonly count: number;
  readonly fileOffset: number;
}

/** A CRIU dump's processes: their private anonymous memory, pages read from pages-ID.img where the pagemap put them. */
export class CriuDumpImage implements Image {
  readonly pageSize = PAGE_SIZE;
  readonly blobBytes: number;
  private readonly fds = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly processes: readonly ProcessImage[],
    private readonly sources: ReadonlyMap<number, CriuPagesSource>,
  ) {
    this.blobBytes = processes.reduce((n, p) => n + p.totalPages * PAGE_SIZE, 0);
  }

  /** The pages file of process pid and where each of its pages is in it. */
  source(pid: number): CriuPagesSource {
    const s = this.sources.get(pid);
    if (!s) throw new Error(`no process ${pid} in ${this.name}`);
    return s;
  }

  /** Process pid's content pages as runs that are contiguous in its pages file. */
  pageRuns(pid: number): CriuPageRun[] {
    const { offsets } = this.source(pid);
    const runs: CriuPageRun[] = [];
    for (let i = 0; i < offsets.length; ) {
      if (!(offsets[i] >= 0)) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < offsets.length && offsets[j] === offsets[j - 1] + PAGE_SIZE) j++;
      runs.push({ page: i, count: j - i, fileOffset: offsets[i] });
      i = j;
    }
    return runs;
  }

  readPage(pid: number, page: number, dst: Uint8Array): void {
    const { pagesFile, offsets } = this.source(pid);
    const at = offsets[page];
    if (!(at >= 0)) {
      dst.fill(0, 0, PAGE_SIZE);
      return;
    }
    let fd = this.fds.get(pagesFile);
    if (fd === undefined) this.fds.set(pagesFile, (fd = openRegularFile(pagesFile).fd));
    const got = readFullyAt(fd, dst, PAGE_SIZE, at);
    if (got < PAGE_SIZE) throw new UsageError(`CRIU image ${pagesFile}: truncated at byte ${at + got}`);
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }
}

/**
 * Reads a CRIU dump directory (inventory.img, pstree.img, and mm-PID.img, pagemap-PID.img and
 * pages-ID.img of each process) as an image: each process's private anonymous VMAs (heap, stack,
 * anonymous mmaps), a page the pagemap has present a content page, any other a zero page, THP
 * advice from the VMA's madvise bits. A process of the tree without mm-PID.img (a zombie) has no
 * memory to restore and is left out. Pages in a parent dump (incremental dumps) are refused.
 * Every problem is a one-line UsageError naming the file.
 */
export function readCriuDump(dir: string, opts: CriuDumpOptions = {}): CriuDumpImage {
  const [inv] = readCriuEntries(dir, 'inventory.img', CRIU_MAGIC.inventory, 'inventory_entry');
  const version = num(inv?.img_version);
  if (version !== CRIU_IMAGES_VERSION) throw new UsageError(`CRIU image ${path.join(dir, 'inventory.img')}: images version ${inv?.img_version ?? 'missing'}, this restorelab reads ${CRIU_IMAGES_VERSION}`);
  const tree = readCriuEntries(dir, 'pstree.img', CRIU_MAGIC.pstree, 'pstree_entry').map((t) => ({ pid: num(t.pid), ppid: num(t.ppid ?? 0) }));
  if (tree.length === 0) throw new UsageError(`CRIU image ${path.join(dir, 'pstree.img')}: no processes`);
  for (const t of tree)
    if (!(Number.isSafeInteger(t.pid) && t.pid >= 1 && t.pid <= IMAGE_LIMITS.maxPid)) throw new UsageError(`CRIU image ${path.join(dir, 'pstree.img')}: pid ${t.pid} is not a pid`);
  let chosen: { pid: number; ppid: number }[];
  if (opts.pid !== undefined) {
    const t = tree.find((e) => e.pid === opts.pid);
    if (!t) throw new UsageError(`CRIU dump ${dir} has no process ${opts.pid} (pids ${tree.map((e) => e.pid).join(', ')})`);
    chosen = [t];
  } else {
    chosen = tree.filter((t, i) => i === 0 || fs.existsSync(path.join(dir, `mm-${t.pid}.img`)));
  }
  const processes: ProcessImage[] = [];
  const sources = new Map<number, CriuPagesSource>();
  let blobOffset = 0;
  for (const t of chosen) {
    const parent = chosen.some((o) => o.pid === t.ppid) ? t.ppid : null;
    const { proc, source } = readCriuProcess(dir, t.pid, parent, blobOffset);
    processes.push(proc);
    sources.set(t.pid, source);
    blobOffset += proc.totalPages * PAGE_SIZE;
  }
  validateImageLayout({ pageSize: PAGE_SIZE, processes }, `CRIU dump ${dir}`);
  const name = processes.length === 1 ? `criu: ${dir} pid ${processes[0].pid}` : `criu: ${dir} pids ${processes.map((p) => p.pid).join(', ')}`;
  return new CriuDumpImage(name, processes, sources);
}

function readCriuProcess(dir: string, pid: number, parent: number | null, blobOffset: number): { proc: ProcessImage; source: CriuPagesSource } {
  const mmFile = `mm-${pid}.img`;
  const [mm] = readCriuEntries(dir, mmFile, CRIU_MAGIC.mm, 'mm_entry');
  const all = ((mm?.vmas as Record<string, unknown>[] | undefined) ?? []).map((v) => ({
    start: num(v.start ?? 0),
    end: num(v.end ?? 0),
    prot: num(v.prot ?? 0),
    status: num(v.status ?? 0),
    madv: num(v.madv ?? 0),
  }));
  const vmas: VmaImage[] = [];
  let firstPage = 0;
  for (const [i, v] of all.entries()) {
    const at = `CRIU image ${path.join(dir, mmFile)}: VMA ${i}`;
    if (!(v.status & VmaStatus.AnonPrivate) || v.status & NOT_RESTORED || !(v.status & VmaStatus.Regular)) continue;
    if (!(Number.isSafeInteger(v.start) && Number.isSafeInteger(v.end) && v.start % PAGE_SIZE === 0 && v.end % PAGE_SIZE === 0 && v.end > v.start))
      throw new UsageError(`${at}: bad bounds 0x${v.start.toString(16)}-0x${v.end.toString(16)}`);
    const pages = (v.end - v.start) / PAGE_SIZE;
    if (firstPage + pages > IMAGE_LIMITS.maxTotalPages) throw new UsageError(`${at}: more than ${IMAGE_LIMITS.maxTotalPages} pages in all`);
    vmas.push({ index: vmas.length, start: v.start, pages, firstPage, prot: v.prot & PROT_WRITE ? 'rw' : 'r', shared: false, anon: true, thp: thpOf(v.madv), collapseBeforeRegister: false, hugetlb: false });
    firstPage += pages;
  }
  if (vmas.length === 0) throw new UsageError(`CRIU image ${path.join(dir, mmFile)}: process ${pid} has no private anonymous memory`);
  const proc: ProcessImage = { pid, parent, vmas, totalPages: firstPage, pageFlags: new Uint8Array(firstPage), blobOffset };
  // sorted, disjoint and in the user half before any page is looked up in them
  validateImageLayout({ pageSize: PAGE_SIZE, processes: [{ ...proc, parent: null }] }, `CRIU image ${path.join(dir, mmFile)}`);

  const pmFile = `pagemap-${pid}.img`;
  const [head, ...entries] = readCriuEntries(dir, pmFile, CRIU_MAGIC.pagemap, 'pagemap_head', 'pagemap_entry');
  const pagesId = num(head?.pages_id);
  if (!(Number.isSafeInteger(pagesId) && pagesId >= 0)) throw new UsageError(`CRIU image ${path.join(dir, pmFile)}: no pages_id in its head`);
  const pagesFile = path.join(dir, `pages-${pagesId}.img`);
  let pagesBytes: number;
  try {
    const { fd, size } = openRegularFile(pagesFile);
    fs.closeSync(fd);
    pagesBytes = size;
  } catch (e) {
    throw new UsageError(`CRIU image ${pagesFile}: cannot open it (${fileError(e)})`);
  }
  const offsets = new Float64Array(firstPage).fill(-1);
  let offset = 0;
  let lastEnd = 0;
  for (const [i, e] of entries.entries()) {
    const at = `CRIU image ${path.join(dir, pmFile)}: entry ${i + 1}`;
    const vaddr = num(e.vaddr ?? 0);
    const nr = num(e.nr_pages ?? e.compat_nr_pages);
    const flags = e.flags === undefined ? (e.in_parent ? PagemapFlag.Parent : PagemapFlag.Present) : num(e.flags);
    if (!(Number.isSafeInteger(vaddr) && vaddr % PAGE_SIZE === 0 && Number.isSafeInteger(nr) && nr >= 1)) throw new UsageError(`${at}: bad range ${e.vaddr} + ${e.nr_pages ?? e.compat_nr_pages} pages`);
    if (vaddr < lastEnd) throw new UsageError(`${at}: at 0x${vaddr.toString(16)}, before the end of the entry before it (entries are sorted)`);
    lastEnd = vaddr + nr * PAGE_SIZE;
    if (flags & PagemapFlag.Parent || e.in_parent === true) throw new UsageError(`${at}: its pages are in a parent dump (--prev-images-dir); restorelab reads self-contained dumps only`);
    if (!(flags & PagemapFlag.Present)) continue;
    if (offset + nr * PAGE_SIZE > pagesBytes) throw new UsageError(`${at}: its ${nr} pages end at byte ${offset + nr * PAGE_SIZE} of ${pagesFile}, which has ${pagesBytes}`);
    for (let k = 0; k < nr; k++) {
      const addr = vaddr + k * PAGE_SIZE;
      const v = vmaOfAddressPage(vmas, addr / PAGE_SIZE);
      if (v) {
        const lp = v.firstPage + (addr - v.start) / PAGE_SIZE;
        offsets[lp] = offset + k * PAGE_SIZE;
        proc.pageFlags[lp] = PageFlag.Content;
      }
    }
    offset += nr * PAGE_SIZE;
  }
  return { proc, source: { pagesFile, offsets } };
}
