import * as fs from 'fs';
import { crcFrameHeader } from '../io/crc-frame';
import { UsageError } from '../errors/usage-error';
import {
  ACCESSES_HEAD_BYTES,
  MIGRATE_PAYLOAD_BYTES,
  PROCESS_PAYLOAD_BYTES,
  TRACE_FRAME_ACCESSES,
  TRACE_HEADER_BYTES,
  TRACE_MAGIC,
  TRACE_PAGE_LIMIT,
  TRACE_VERSION,
  TraceAccessCode,
  TraceFrame,
  TraceInfo,
} from './trace-format';
import { MAX_VARINT_BYTES, writeVarint, zigzag } from './varint';

/** Most bytes one encoded access takes: the page varint and the gap varint. */
const MAX_ACCESS_BYTES = 2 * MAX_VARINT_BYTES;

/** The encoder of one process: its pending ACCESSES frame and the state deltas are taken against. */
class ProcessEncoder {
  readonly buf = new Uint8Array(ACCESSES_HEAD_BYTES + TRACE_FRAME_ACCESSES * MAX_ACCESS_BYTES);
  off = ACCESSES_HEAD_BYTES;
  count = 0;
  total = 0;
  lastPage = 0;
  lastGap = 0;
  constructor(readonly pid: number) {}
}

/**
 * Streams a trace to a file (written as PATH.tmp-PID, renamed on close): accesses are buffered per
 * process and go out as one ACCESSES frame per 65536 of them.
 */
export class TraceWriter {
  private fd: number | undefined;
  private readonly tmp: string;
  private readonly procs = new Map<number, ProcessEncoder>();
  private accesses = 0;

  constructor(
    readonly path: string,
    info: TraceInfo,
  ) {
    this.tmp = `${path}.tmp-${process.pid}`;
    try {
      this.fd = fs.openSync(this.tmp, 'w');
    } catch (e) {
      throw new UsageError(`cannot write trace ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const head = Buffer.alloc(TRACE_HEADER_BYTES);
    head.write(TRACE_MAGIC, 0, 'latin1');
    head.writeUInt32LE(TRACE_VERSION, 4);
    this.write(head);
    this.frame(TraceFrame.Info, Buffer.from(JSON.stringify(info), 'utf8'));
  }

  /** Declares a process; a child's parent must have been declared. forkAt: the parent's accesses before the fork. */
  process(pid: number, parent: number | null, forkAt = 0): void {
    if (this.procs.has(pid)) throw new Error(`trace ${this.path}: process ${pid} declared twice`);
    if (parent !== null && !this.procs.has(parent)) throw new Error(`trace ${this.path}: parent ${parent} of ${pid} is not declared`);
    const p = Buffer.alloc(PROCESS_PAYLOAD_BYTES);
    p.writeUInt32LE(pid, 0);
    p.writeInt32LE(parent ?? -1, 4);
    p.writeDoubleLE(parent === null ? -1 : forkAt, 8);
    this.frame(TraceFrame.Process, p);
    this.procs.set(pid, new ProcessEncoder(pid));
  }

  /** One access of `pid` to virtual page `page` after `gapNs` of compute. */
  access(pid: number, page: number, write: boolean, gapNs: number): void {
    const e = this.procs.get(pid);
    if (!e) throw new Error(`trace ${this.path}: access of undeclared process ${pid}`);
    if (!(page >= 0 && page < TRACE_PAGE_LIMIT && Number.isInteger(page))) throw new Error(`trace ${this.path}: page ${page} is not a virtual page number`);
    const gap = gapNs >>> 0;
    const gapFollows = gap !== e.lastGap;
    const code = zigzag(page - e.lastPage) * TraceAccessCode.Shift + (write ? TraceAccessCode.Write : 0) + (gapFollows ? TraceAccessCode.GapFollows : 0);
    e.off = writeVarint(e.buf, e.off, code);
    if (gapFollows) e.off = writeVarint(e.buf, e.off, gap);
    e.lastPage = page;
    e.lastGap = gap;
    e.total++;
    this.accesses++;
    if (++e.count === TRACE_FRAME_ACCESSES) this.flush(e);
  }

  /** Accesses [0, at) of `pid` are its source phase. Flushes the process's pending accesses first. */
  migrate(pid: number, at: number): void {
    const e = this.procs.get(pid);
    if (!e) throw new Error(`trace ${this.path}: migrate marker of undeclared process ${pid}`);
    this.flush(e);
    const p = Buffer.alloc(MIGRATE_PAYLOAD_BYTES);
    p.writeUInt32LE(pid, 0);
    p.writeDoubleLE(at, 4);
    this.frame(TraceFrame.Migrate, p);
  }

  /** Writes what is pending and END, and renames the file into place. */
  close(): void {
    if (this.fd === undefined) return;
    for (const e of this.procs.values()) this.flush(e);
    this.frame(TraceFrame.End, Buffer.from(JSON.stringify({ processes: this.procs.size, accesses: this.accesses }), 'utf8'));
    fs.closeSync(this.fd);
    this.fd = undefined;
    fs.renameSync(this.tmp, this.path);
  }

  /** Drops the partial file (after an error). */
  abort(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    fs.rmSync(this.tmp, { force: true });
  }

  private flush(e: ProcessEncoder): void {
    if (e.count === 0) return;
    const view = new DataView(e.buf.buffer);
    view.setUint32(0, e.pid, true);
    view.setUint32(4, e.count, true);
    this.frame(TraceFrame.Accesses, e.buf.subarray(0, e.off));
    e.off = ACCESSES_HEAD_BYTES;
    e.count = 0;
  }

  private frame(type: number, payload: Uint8Array): void {
    this.write(crcFrameHeader(type, payload));
    this.write(payload);
  }

  private write(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += fs.writeSync(this.fd!, b, done, b.length - done);
  }
}
