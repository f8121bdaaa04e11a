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
  /** The process of the dump's tree to import (default: the dump's only process). */
  readonly pid?: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

function thpOf(madv: number): ThpAdvice {
  const bit = (b: number) => Math.floor(madv / 2 ** b) % 2 === 1;
  if (bit(MADV_NOHUGEPAGE)) return 'nohugepage';
  if (bit(MADV_HUGEPAGE)) return 'hugepage';
  return 'default';
}

/** One process of a CRIU dump: its private anonymous memory, pages read from pages-ID.img where the pagemap put them. */
export class CriuDumpImage implements Image {
  readonly pageSize = PAGE_SIZE;
  readonly processes: readonly ProcessImage[];
  readonly blobBytes: number;
  private fd: number | null = null;

  constructor(
    readonly name: string,
    proc: ProcessImage,
    readonly pagesFile: string,
    /** Byte offset in pagesFile of each linear page with content, -1 for a zero page. */
    private readonly offsets: Float64Array,
  ) {
    this.processes = [proc];
    this.blobBytes = proc.totalPages * PAGE_SIZE;
  }

  readPage(_pid: number, page: number, dst: Uint8Array): void {
    const at = this.offsets[page];
    if (!(at >= 0)) {
      dst.fill(0, 0, PAGE_SIZE);
      return;
    }
    if (this.fd === null) this.fd = openRegularFile(this.pagesFile).fd;
    const got = readFullyAt(this.fd, dst, PAGE_SIZE, at);
    if (got < PAGE_SIZE) throw new UsageError(`CRIU image ${this.pagesFile}: truncated at byte ${at + got}`);
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Reads one process of a CRIU dump directory (inventory.img, pstree.img, mm-PID.img,
 * pagemap-PID.img, pages-ID.img) as an image: its private anonymous VMAs (heap, stack, anonymous
 * mmaps), a page the pagemap has present a content page, any other a zero page, THP advice from the
 * VMA's madvise bits. Pages in a parent dump (incremental dumps) are refused. Every problem is a
 * one-line UsageError naming the file.
 */
export function readCriuDump(dir: string, opts: CriuDumpOptions = {}): CriuDumpImage {
  const [inv] = readCriuEntries(dir, 'inventory.img', CRIU_MAGIC.inventory, 'inventory_entry');
  const version = num(inv?.img_version);
  if (version !== CRIU_IMAGES_VERSION) throw new UsageError(`CRIU image ${path.join(dir, 'inventory.img')}: images version ${inv?.img_version ?? 'missing'}, this restorelab reads ${CRIU_IMAGES_VERSION}`);
  const tree = readCriuEntries(dir, 'pstree.img', CRIU_MAGIC.pstree, 'pstree_entry');
  const pids = tree.map((t) => num(t.pid));
  if (pids.length === 0) throw new UsageError(`CRIU image ${path.join(dir, 'pstree.img')}: no processes`);
  let pid: number;
  if (opts.pid !== undefined) {
    if (!pids.includes(opts.pid)) throw new UsageError(`CRIU dump ${dir} has no process ${opts.pid} (pids ${pids.join(', ')})`);
    pid = opts.pid;
  } else if (pids.length === 1) pid = pids[0];
  else throw new UsageError(`CRIU dump ${dir} holds ${pids.length} processes (pids ${pids.join(', ')}): say which with --pid`);
  if (!(Number.isSafeInteger(pid) && pid >= 1 && pid <= IMAGE_LIMITS.maxPid)) throw new UsageError(`CRIU image ${path.join(dir, 'pstree.img')}: pid ${pid} is not a pid`);

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
    vmas.push({ index: vmas.length, start: v.start, pages, firstPage, prot: v.prot & PROT_WRITE ? 'rw' : 'r', shared: false, anon: true, thp: thpOf(v.madv), collapseBeforeRegister: false });
    firstPage += pages;
  }
  if (vmas.length === 0) throw new UsageError(`CRIU image ${path.join(dir, mmFile)}: process ${pid} has no private anonymous memory`);
  const proc: ProcessImage = { pid, parent: null, vmas, totalPages: firstPage, pageFlags: new Uint8Array(firstPage), blobOffset: 0 };
  // sorted, disjoint and in the user half before any page is looked up in them
  validateImageLayout({ pageSize: PAGE_SIZE, processes: [proc] }, `CRIU image ${path.join(dir, mmFile)}`);

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
  return new CriuDumpImage(`criu: ${dir} pid ${pid}`, proc, pagesFile, offsets);
}
