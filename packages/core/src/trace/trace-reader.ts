import * as fs from 'fs';
import { crc32 } from 'zlib';
import { UsageError } from '../errors/usage-error';
import { fileError, openRegularFile } from '../io/regular-file';
import { IMAGE_LIMITS } from '../model/image-limits';
import { PAGE_SIZE } from '../model/page';
import {
  ACCESSES_HEAD_BYTES,
  MAX_TRACE_ACCESSES,
  MAX_TRACE_FRAME_BYTES,
  MIGRATE_PAYLOAD_BYTES,
  PROCESS_PAYLOAD_BYTES,
  TRACE_FRAME_HEADER_BYTES,
  TRACE_HEADER_BYTES,
  TRACE_MAGIC,
  TRACE_PAGE_LIMIT,
  TRACE_VERSION,
  TraceAccessCode,
  TraceFrame,
  TraceInfo,
} from './trace-format';
import { unzigzag, VarintCursor } from './varint';

export interface TraceProcessHead {
  readonly pid: number;
  readonly parent: number | null;
  /** The parent's accesses before the fork (-1 for the root). */
  readonly forkAt: number;
}

/** One ACCESSES frame, decoded: entries [0, count) of the columns (reused for the next frame). */
export interface TraceBatch {
  readonly pid: number;
  /** Index of the batch's first access in its process. */
  readonly first: number;
  readonly count: number;
  readonly page: Float64Array;
  readonly write: Uint8Array;
  readonly gapNs: Uint32Array;
}

export interface TraceVisitor {
  info?(info: TraceInfo): void;
  process?(head: TraceProcessHead): void;
  accesses?(batch: TraceBatch): void;
  migrate?(pid: number, at: number): void;
}

export interface TraceSummary {
  readonly info: TraceInfo;
  readonly processes: readonly (TraceProcessHead & { readonly accesses: number; readonly migrateAt: number })[];
  readonly accesses: number;
}

interface ProcState {
  head: TraceProcessHead;
  accesses: number;
  migrateAt: number;
  lastPage: number;
  lastGap: number;
}

const FRAME_NAMES: Record<number, string> = { 1: 'INFO', 2: 'PROCESS', 3: 'ACCESSES', 4: 'MIGRATE', 5: 'END' };
const READ_CHUNK = 1 << 20;

/**
 * Streams a trace file (docs/trace-format.md) through `visitor`, frame by frame: never more than
 * one frame of the file in memory, every claimed count checked against the bytes that hold it, every
 * frame's CRC-32 checked. Throws a one-line UsageError naming the file and the byte offset.
 */
export function scanTrace(file: string, visitor: TraceVisitor = {}): TraceSummary {
  let fd: number;
  let size: number;
  try {
    ({ fd, size } = openRegularFile(file));
  } catch (e) {
    throw new UsageError(`cannot read trace ${file}: ${fileError(e)}`);
  }
  try {
    return new TraceScanner(file, fd, size, visitor).run();
  } finally {
    fs.closeSync(fd);
  }
}

class TraceScanner {
  private buf = Buffer.alloc(READ_CHUNK);
  /** File offset of buf[0], and how many bytes of buf are valid. */
  private bufAt = 0;
  private bufLen = 0;
  private info: TraceInfo | undefined;
  private readonly procs = new Map<number, ProcState>();
  private readonly order: ProcState[] = [];
  private total = 0;
  private scratch: { page: Float64Array; write: Uint8Array; gapNs: Uint32Array } | undefined;

  constructor(
    private readonly file: string,
    private readonly fd: number,
    private readonly size: number,
    private readonly visitor: TraceVisitor,
  ) {}

  run(): TraceSummary {
    const head = this.bytes(0, Math.min(TRACE_HEADER_BYTES, this.size));
    if (head.length < 4 || head.toString('latin1', 0, 4) !== TRACE_MAGIC)
      throw new UsageError(`${this.file} is not a restorelab trace (it does not start with ${TRACE_MAGIC})`);
    if (head.length < TRACE_HEADER_BYTES) throw this.truncated(head.length);
    const version = head.readUInt32LE(4);
    if (version !== TRACE_VERSION) throw new UsageError(`trace ${this.file} has format version ${version}; this restorelab reads version ${TRACE_VERSION}`);
    let off = TRACE_HEADER_BYTES;
    for (;;) {
      if (off + TRACE_FRAME_HEADER_BYTES > this.size) throw this.truncated(off);
      const h = this.bytes(off, TRACE_FRAME_HEADER_BYTES);
      const type = h[0];
      const len = h.readUInt32LE(1);
      const crc = h.readUInt32LE(5);
      const name = FRAME_NAMES[type];
      if (name === undefined) throw this.corrupt(off, `unknown frame type ${type}`);
      if (len > MAX_TRACE_FRAME_BYTES) throw this.corrupt(off, `a ${name} frame of ${len} bytes (at most ${MAX_TRACE_FRAME_BYTES})`);
      const start = off + TRACE_FRAME_HEADER_BYTES;
      if (start + len > this.size) throw this.truncated(off);
      const payload = this.bytes(start, len);
      if (crc32(payload) !== crc) throw this.corrupt(off, `the ${name} frame (${len} bytes) fails its CRC-32 check`);
      if (this.info === undefined && type !== TraceFrame.Info) throw this.corrupt(off, `expected the INFO frame, found ${name}`);
      const done = this.frame(type, payload, off);
      off = start + len;
      if (done) {
        if (off !== this.size) throw this.corrupt(off, `${this.size - off} bytes after the END frame`);
        break;
      }
    }
    return {
      info: this.info!,
      processes: this.order.map((p) => ({ ...p.head, accesses: p.accesses, migrateAt: p.migrateAt })),
      accesses: this.total,
    };
  }

  /** Handles one frame; true for END. */
  private frame(type: number, p: Buffer, off: number): boolean {
    switch (type) {
      case TraceFrame.Info: {
        if (this.info !== undefined) throw this.corrupt(off, 'a second INFO frame');
        const info = this.json(p, off, 'INFO') as Partial<TraceInfo>;
        if (typeof info.name !== 'string') throw this.corrupt(off, 'INFO has no name');
        if (info.pageSize !== PAGE_SIZE) throw this.corrupt(off, `page size ${String(info.pageSize)}, only ${PAGE_SIZE} is supported`);
        this.info = { name: info.name, pageSize: info.pageSize };
        this.visitor.info?.(this.info);
        return false;
      }
      case TraceFrame.Process:
        this.process(p, off);
        return false;
      case TraceFrame.Accesses:
        this.accesses(p, off);
        return false;
      case TraceFrame.Migrate: {
        if (p.length !== MIGRATE_PAYLOAD_BYTES) throw this.corrupt(off, `a MIGRATE frame of ${p.length} bytes, expected ${MIGRATE_PAYLOAD_BYTES}`);
        const s = this.proc(p.readUInt32LE(0), off, 'MIGRATE');
        const at = p.readDoubleLE(4);
        if (s.migrateAt !== 0) throw this.corrupt(off, `a second migrate marker for process ${s.head.pid}`);
        if (!Number.isSafeInteger(at) || at < 0) throw this.corrupt(off, `migrate marker ${at} of process ${s.head.pid} is not an access index`);
        s.migrateAt = at;
        this.visitor.migrate?.(s.head.pid, at);
        return false;
      }
      default: {
        const end = this.json(p, off, 'END') as { processes?: unknown; accesses?: unknown };
        if (end.processes !== this.order.length || end.accesses !== this.total)
          throw this.corrupt(off, `END says ${String(end.processes)} processes and ${String(end.accesses)} accesses, the trace has ${this.order.length} and ${this.total}`);
        for (const s of this.order) {
          if (s.migrateAt > s.accesses) throw this.corrupt(off, `process ${s.head.pid}: migrate marker ${s.migrateAt} is past its ${s.accesses} accesses`);
        }
        if (this.order.length === 0) throw this.corrupt(off, 'no processes');
        return true;
      }
    }
  }

  private process(p: Buffer, off: number): void {
    if (p.length !== PROCESS_PAYLOAD_BYTES) throw this.corrupt(off, `a PROCESS frame of ${p.length} bytes, expected ${PROCESS_PAYLOAD_BYTES}`);
    const pid = p.readUInt32LE(0);
    const parentRaw = p.readInt32LE(4);
    const forkAt = p.readDoubleLE(8);
    if (pid < 1 || pid > IMAGE_LIMITS.maxPid) throw this.corrupt(off, `pid ${pid} is not a pid (1..${IMAGE_LIMITS.maxPid})`);
    if (this.procs.has(pid)) throw this.corrupt(off, `process ${pid} declared twice`);
    if (this.order.length >= IMAGE_LIMITS.maxProcesses) throw this.corrupt(off, `more than ${IMAGE_LIMITS.maxProcesses} processes`);
    const parent = parentRaw === -1 ? null : parentRaw;
    if (parent === null) {
      if (this.order.length > 0) throw this.corrupt(off, `process ${pid} is a second root (every process but the first has a parent)`);
      if (forkAt !== -1) throw this.corrupt(off, `root process ${pid} has a fork point ${forkAt}`);
    } else {
      if (this.order.length === 0) throw this.corrupt(off, `the first process, ${pid}, has a parent`);
      if (!this.procs.has(parent)) throw this.corrupt(off, `parent ${parent} of process ${pid} is not an earlier process`);
      if (!Number.isSafeInteger(forkAt) || forkAt < 0) throw this.corrupt(off, `fork point ${forkAt} of process ${pid} is not an access index`);
    }
    const head: TraceProcessHead = { pid, parent, forkAt: parent === null ? -1 : forkAt };
    const s: ProcState = { head, accesses: 0, migrateAt: 0, lastPage: 0, lastGap: 0 };
    this.procs.set(pid, s);
    this.order.push(s);
    this.visitor.process?.(head);
  }

  private accesses(p: Buffer, off: number): void {
    if (p.length < ACCESSES_HEAD_BYTES) throw this.corrupt(off, `an ACCESSES frame of ${p.length} bytes`);
    const s = this.proc(p.readUInt32LE(0), off, 'ACCESSES');
    const count = p.readUInt32LE(4);
    // each access takes at least one byte: a count the payload cannot hold is refused before anything is allocated
    if (count < 1 || count > p.length - ACCESSES_HEAD_BYTES)
      throw this.corrupt(off, `an ACCESSES frame claims ${count} accesses in ${p.length - ACCESSES_HEAD_BYTES} bytes`);
    if (s.accesses + count > MAX_TRACE_ACCESSES) throw this.corrupt(off, `process ${s.head.pid} has more than ${MAX_TRACE_ACCESSES} accesses`);
    const col = this.columns(count);
    const cur = new VarintCursor(p, ACCESSES_HEAD_BYTES, p.length);
    let page = s.lastPage;
    let gap = s.lastGap;
    for (let i = 0; i < count; i++) {
      const at = cur.offset;
      const code = cur.next();
      if (code < 0) throw this.corrupt(off + TRACE_FRAME_HEADER_BYTES + at, `access ${s.accesses + i} of process ${s.head.pid} is cut short`);
      const low = code % TraceAccessCode.Shift;
      page += unzigzag((code - low) / TraceAccessCode.Shift);
      if (!(page >= 0 && page < TRACE_PAGE_LIMIT))
        throw this.corrupt(off + TRACE_FRAME_HEADER_BYTES + at, `access ${s.accesses + i} of process ${s.head.pid} is at page ${page}, outside the address space`);
      if (low & TraceAccessCode.GapFollows) {
        gap = cur.next();
        if (gap < 0 || gap > 0xffffffff) throw this.corrupt(off + TRACE_FRAME_HEADER_BYTES + at, `access ${s.accesses + i} of process ${s.head.pid} has a bad gap`);
      }
      col.page[i] = page;
      col.write[i] = low & TraceAccessCode.Write ? 1 : 0;
      col.gapNs[i] = gap;
    }
    if (cur.offset !== p.length) throw this.corrupt(off, `${p.length - cur.offset} bytes after the ${count} accesses of an ACCESSES frame`);
    const first = s.accesses;
    s.accesses += count;
    s.lastPage = page;
    s.lastGap = gap;
    this.total += count;
    this.visitor.accesses?.({ pid: s.head.pid, first, count, page: col.page, write: col.write, gapNs: col.gapNs });
  }

  private columns(count: number): { page: Float64Array; write: Uint8Array; gapNs: Uint32Array } {
    if (!this.scratch || this.scratch.page.length < count) {
      const n = Math.max(count, 4096);
      this.scratch = { page: new Float64Array(n), write: new Uint8Array(n), gapNs: new Uint32Array(n) };
    }
    return this.scratch;
  }

  private proc(pid: number, off: number, frame: string): ProcState {
    const s = this.procs.get(pid);
    if (!s) throw this.corrupt(off, `a ${frame} frame for process ${pid}, which no PROCESS frame declared`);
    return s;
  }

  private json(p: Buffer, off: number, frame: string): Record<string, unknown> {
    try {
      const v = JSON.parse(p.toString('utf8')) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // reported below
    }
    throw this.corrupt(off, `the ${frame} frame is not a JSON object`);
  }

  /** `len` bytes at file offset `at` (a view valid until the next call). */
  private bytes(at: number, len: number): Buffer {
    if (at < this.bufAt || at + len > this.bufAt + this.bufLen) {
      if (len > this.buf.length) this.buf = Buffer.alloc(len);
      let got = 0;
      const want = Math.min(this.buf.length, this.size - at);
      while (got < want) {
        const n = fs.readSync(this.fd, this.buf, got, want - got, at + got);
        if (n === 0) break;
        got += n;
      }
      this.bufAt = at;
      this.bufLen = got;
      if (got < len) throw this.truncated(at);
    }
    return this.buf.subarray(at - this.bufAt, at - this.bufAt + len);
  }

  private truncated(at: number): UsageError {
    return new UsageError(`trace ${this.file} is truncated at byte ${at} (${this.size} bytes; no END frame)`);
  }

  private corrupt(at: number, what: string): UsageError {
    return new UsageError(`trace ${this.file} is corrupt at byte ${at}: ${what}`);
  }
}
