import { PAGE_SIZE, ThpAdvice, VmaImage } from '@restorelab/core';

/** One line of /proc/PID/maps, with the VmFlags of its smaps entry. */
export interface ProcMapping {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly inode: number;
  readonly path: string;
  readonly vmFlags: readonly string[];
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) [0-9a-f]+ [0-9a-f]+:[0-9a-f]+ (\d+)\s*(.*)$/;

/** The mappings of /proc/PID/smaps (maps lines, each followed by its fields; VmFlags is the last). */
export function parseSmaps(text: string): ProcMapping[] {
  const out: ProcMapping[] = [];
  let cur: { start: number; end: number; perms: string; inode: number; path: string; vmFlags: string[] } | undefined;
  for (const line of text.split('\n')) {
    const m = MAPS_LINE.exec(line);
    if (m) {
      if (cur) out.push(cur);
      cur = { start: parseInt(m[1], 16), end: parseInt(m[2], 16), perms: m[3], inode: Number(m[4]), path: m[5].trim(), vmFlags: [] };
    } else if (cur && line.startsWith('VmFlags:')) {
      cur.vmFlags = line.slice('VmFlags:'.length).trim().split(/\s+/);
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** Kernel-provided mappings with nothing of the process's own in them. */
const SPECIAL = new Set(['[vvar]', '[vvar_vclock]', '[vdso]', '[vsyscall]', '[uprobes]']);

/**
 * Private anonymous memory the process can read: what a lazy restore (CRIU's, ours) restores.
 * File-backed mappings come back from their files, shared ones from their owner.
 */
export function isPrivateAnonymous(m: ProcMapping): boolean {
  if (m.perms[0] !== 'r' || m.perms[3] !== 'p' || m.inode !== 0) return false;
  if (SPECIAL.has(m.path)) return false;
  return m.path === '' || m.path === '[heap]' || m.path.startsWith('[stack') || m.path.startsWith('[anon:');
}

/** THP advice from smaps' VmFlags: hg is MADV_HUGEPAGE, nh MADV_NOHUGEPAGE. */
export function thpAdviceOf(m: ProcMapping): ThpAdvice {
  if (m.vmFlags.includes('nh')) return 'nohugepage';
  if (m.vmFlags.includes('hg')) return 'hugepage';
  return 'default';
}

/** An image's VMAs for these mappings, in order, their pages numbered from 0. */
export function vmasOfMappings(mappings: readonly ProcMapping[]): VmaImage[] {
  const vmas: VmaImage[] = [];
  let firstPage = 0;
  for (const m of mappings) {
    const pages = (m.end - m.start) / PAGE_SIZE;
    vmas.push({ index: vmas.length, start: m.start, pages, firstPage, prot: m.perms[1] === 'w' ? 'rw' : 'r', shared: false, anon: true, thp: thpAdviceOf(m), collapseBeforeRegister: false, hugetlb: false });
    firstPage += pages;
  }
  return vmas;
}
