import { CRC_FRAME_HEADER_BYTES } from '../io/crc-frame';

/**
 * The binary trace (docs/trace-format.md), little-endian:
 *   "RLTR", u32 version, then frames: u8 type, u32 payload length, u32 CRC-32 of the payload, payload.
 * INFO first, END last; a process's PROCESS frame comes before its ACCESSES and MIGRATE frames.
 */
export const TRACE_MAGIC = 'RLTR';
export const TRACE_VERSION = 1;
export const TRACE_HEADER_BYTES = 8;
export const TRACE_FRAME_HEADER_BYTES = CRC_FRAME_HEADER_BYTES;

export const TraceFrame = {
  /** JSON (utf8) TraceInfo. */
  Info: 1,
  /** u32 pid, i32 parent (-1: the root), f64 forkAt (the parent's access index at the fork, -1 for the root). */
  Process: 2,
  /** u32 pid, u32 count, then `count` encoded accesses (TraceAccessCode). */
  Accesses: 3,
  /** u32 pid, f64 migrateAt: accesses [0, migrateAt) of the process are its source phase. */
  Migrate: 4,
  /** JSON {"processes": n, "accesses": total}. */
  End: 5,
} as const;

export const PROCESS_PAYLOAD_BYTES = 16;
export const MIGRATE_PAYLOAD_BYTES = 12;
export const ACCESSES_HEAD_BYTES = 8;

/**
 * One access is a varint v = zigzag(page - previous page of the process) * 4 + write * 2 + gapFollows,
 * then, if gapFollows, a varint gap in ns (otherwise the process's previous gap; both start at 0).
 * Pages are virtual page numbers (address >> 12).
 */
export const TraceAccessCode = { Write: 2, GapFollows: 1, Shift: 4 } as const;

/** Most payload bytes of one frame: a reader never holds more than this of a trace at once. */
export const MAX_TRACE_FRAME_BYTES = 2 << 20;
/** Accesses a writer puts in one ACCESSES frame before it starts another. */
export const TRACE_FRAME_ACCESSES = 65536;
/** Virtual page numbers are below 2^36 (48-bit addresses). */
export const TRACE_PAGE_LIMIT = 2 ** 36;
/** Most accesses of one process (the model's columns are indexed by u32). */
export const MAX_TRACE_ACCESSES = 2 ** 31 - 1;

export interface TraceInfo {
  /** What the trace is of, e.g. `lackey: gzip -6 in.txt` or the workload spec it was written from. */
  readonly name: string;
  readonly pageSize: number;
}
