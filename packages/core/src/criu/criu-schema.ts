import type { Root, Type } from 'protobufjs';

/**
 * Our own schema for the CRIU image messages restorelab reads (from CRIU's images/*.proto:
 * inventory, pstree, mm, vma, pagemap), with every field optional so that a missing field is our
 * check's one-line error rather than the decoder's. Field numbers and types are CRIU's.
 */
const CRIU_SCHEMA = {
  nested: {
    inventory_entry: { fields: { img_version: { type: 'uint32', id: 1 } } },
    pstree_entry: {
      fields: {
        pid: { type: 'uint32', id: 1 },
        ppid: { type: 'uint32', id: 2 },
        pgid: { type: 'uint32', id: 3 },
        sid: { type: 'uint32', id: 4 },
        threads: { rule: 'repeated', type: 'uint32', id: 5 },
      },
    },
    vma_entry: {
      fields: {
        start: { type: 'uint64', id: 1 },
        end: { type: 'uint64', id: 2 },
        pgoff: { type: 'uint64', id: 3 },
        shmid: { type: 'uint64', id: 4 },
        prot: { type: 'uint32', id: 5 },
        flags: { type: 'uint32', id: 6 },
        status: { type: 'uint32', id: 7 },
        fd: { type: 'sint64', id: 8 },
        madv: { type: 'uint64', id: 9 },
        fdflags: { type: 'uint32', id: 10 },
      },
    },
    mm_entry: { fields: { vmas: { rule: 'repeated', type: 'vma_entry', id: 14 }, thp_disabled: { type: 'bool', id: 17 } } },
    pagemap_head: { fields: { pages_id: { type: 'uint32', id: 1 } } },
    pagemap_entry: {
      fields: {
        vaddr: { type: 'uint64', id: 1 },
        compat_nr_pages: { type: 'uint32', id: 2 },
        in_parent: { type: 'bool', id: 3 },
        flags: { type: 'uint32', id: 4 },
        nr_pages: { type: 'uint64', id: 5 },
      },
    },
  },
};

export type CriuMessage = 'inventory_entry' | 'pstree_entry' | 'vma_entry' | 'mm_entry' | 'pagemap_head' | 'pagemap_entry';

let root: Root | undefined;

/** The message type by name; protobufjs is loaded on first use (a CLI start does not pay for it). */
export function criuType(name: CriuMessage): Type {
  if (!root) root = (require('protobufjs') as typeof import('protobufjs')).Root.fromJSON(CRIU_SCHEMA);
  return root.lookupType(name);
}

/** CRIU's image magics (criu/include/magic.h). */
export const CRIU_MAGIC = {
  /** Every image but the inventory starts with it, then its own magic. */
  common: 0x54564319,
  inventory: 0x58313116,
  pstree: 0x50273030,
  mm: 0x57492820,
  pagemap: 0x56084025,
} as const;

/** vma_entry.status bits (criu/include/image.h). */
export const VmaStatus = {
  Regular: 1 << 0,
  Stack: 1 << 1,
  Vsyscall: 1 << 2,
  Vdso: 1 << 3,
  Heap: 1 << 5,
  FilePrivate: 1 << 6,
  FileShared: 1 << 7,
  AnonShared: 1 << 8,
  AnonPrivate: 1 << 9,
  Sysvipc: 1 << 10,
  Socket: 1 << 11,
  Vvar: 1 << 12,
  Aioring: 1 << 13,
  Memfd: 1 << 14,
  Guard: 1 << 16,
  Uprobes: 1 << 17,
  Unsupported: 1 << 31,
} as const;

/** pagemap_entry.flags (criu/include/pagemap.h). */
export const PagemapFlag = { Parent: 1, Lazy: 2, Present: 4 } as const;

/** The image format version restorelab reads (inventory img_version; CRIU's CRTOOLS_IMAGES_V1_1). */
export const CRIU_IMAGES_VERSION = 2;

export const PROT_WRITE = 2;
export const MADV_HUGEPAGE = 14;
export const MADV_NOHUGEPAGE = 15;
