import * as fs from 'fs';
import * as path from 'path';
import { CRIU_MAGIC, criuType, CriuMessage } from '../criu/criu-schema';

/** For tests and fuzzing: a CRIU dump directory written with our schema (the framing CRIU uses). */
export interface TestDumpVma {
  readonly start: number;
  readonly pages: number;
  readonly status: number;
  readonly prot?: number;
  readonly madv?: number;
}

export interface TestDumpEntry {
  readonly vaddr: number;
  readonly pages: number;
  readonly flags?: number;
  readonly inParent?: boolean;
}

export interface TestDump {
  readonly pids?: readonly number[];
  readonly vmas: readonly TestDumpVma[];
  readonly pagemap: readonly TestDumpEntry[];
  /** Byte of every page written to pages-1.img, in pagemap order (default: its index + 1); process k's pages-(k+1).img adds k. */
  readonly fill?: (index: number) => number;
  readonly version?: number;
}

export function criuImageBytes(magic: number, entries: readonly [CriuMessage, Record<string, unknown>][]): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(magic === CRIU_MAGIC.inventory ? 4 : 8);
  if (magic === CRIU_MAGIC.inventory) head.writeUInt32LE(magic, 0);
  else {
    head.writeUInt32LE(CRIU_MAGIC.common, 0);
    head.writeUInt32LE(magic, 4);
  }
  parts.push(head);
  for (const [name, value] of entries) {
    const t = criuType(name);
    const body = Buffer.from(t.encode(t.fromObject(value)).finish());
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length, 0);
    parts.push(len, body);
  }
  return Buffer.concat(parts);
}

export function writeTestDump(dir: string, d: TestDump): void {
  fs.mkdirSync(dir, { recursive: true });
  const pids = d.pids ?? [4242];
  const pid = pids[0];
  fs.writeFileSync(path.join(dir, 'inventory.img'), criuImageBytes(CRIU_MAGIC.inventory, [['inventory_entry', { img_version: d.version ?? 2 }]]));
  fs.writeFileSync(path.join(dir, 'pstree.img'), criuImageBytes(CRIU_MAGIC.pstree, pids.map((p, i) => ['pstree_entry', { pid: p, ppid: i === 0 ? 0 : pid, pgid: pid, sid: pid }] as [CriuMessage, Record<string, unknown>])));
  const vmas = d.vmas.map((v) => ({ start: v.start, end: v.start + v.pages * 4096, pgoff: 0, shmid: 0, prot: v.prot ?? 3, flags: 0x22, status: v.status, fd: -1, madv: v.madv ?? 0 }));
  // every process gets the same memory, in pages-1.img, pages-2.img, ... (filled + its index)
  for (const [k, p] of pids.entries()) {
    fs.writeFileSync(path.join(dir, `mm-${p}.img`), criuImageBytes(CRIU_MAGIC.mm, [['mm_entry', { vmas }]]));
    const entries: [CriuMessage, Record<string, unknown>][] = [['pagemap_head', { pages_id: k + 1 }]];
    for (const e of d.pagemap) entries.push(['pagemap_entry', { vaddr: e.vaddr, compat_nr_pages: e.pages, nr_pages: e.pages, flags: e.flags ?? 6, ...(e.inParent ? { in_parent: true } : {}) }]);
    fs.writeFileSync(path.join(dir, `pagemap-${p}.img`), criuImageBytes(CRIU_MAGIC.pagemap, entries));
    const fill = d.fill ?? ((i: number) => (i + 1) & 0xff);
    const present = d.pagemap.filter((e) => (e.flags ?? 6) & 4).reduce((n, e) => n + e.pages, 0);
    const pages = Buffer.alloc(present * 4096);
    for (let i = 0; i < present; i++) pages.fill((fill(i) + k) & 0xff, i * 4096, (i + 1) * 4096);
    fs.writeFileSync(path.join(dir, `pages-${k + 1}.img`), pages);
  }
}
