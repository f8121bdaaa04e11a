import { crc32 } from 'zlib';
import { FILE_LIMITS, readRegularFile } from '../io/regular-file';
import { RunMeta } from '../events/run-meta';
import { checkRunMeta, LogBounds, namesUndefinedString } from './log-bounds';
import { UsageError } from '../errors/usage-error';
import { EVENT_KIND_COUNT } from './event-kind';
import {
  assertLittleEndianHost,
  EVENT_RECORD_BYTES,
  FRAME_HEADER_BYTES,
  FrameType,
  LOG_HEADER_BYTES,
  LOG_MAGIC,
  LOG_VERSION,
  oneLine,
  V1_FRAME_HEADER_BYTES,
} from './event-log-writer';
import { EventStore } from './event-store';

export interface EventLog {
  readonly meta: RunMeta;
  readonly store: EventStore;
}

/** Reads a log written by EventLogWriter. Every problem is one UsageError line naming the file. */
export function readEventLog(path: string): EventLog {
  let buf: Buffer;
  try {
    buf = readRegularFile(path, FILE_LIMITS.eventLog);
  } catch (e) {
    throw new UsageError(`cannot read log ${path}: ${oneLine(e)}`);
  }
  return parseEventLog(buf, path);
}

/** Parses a whole log held in memory; `name` is used in error messages. */
export function parseEventLog(buf: Uint8Array, name: string): EventLog {
  assertLittleEndianHost();
  try {
    return new LogParser(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), name).parse();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`log ${name} is corrupt: ${oneLine(e)}`);
  }
}

class LogParser {
  private readonly store = new EventStore();
  private meta: RunMeta | undefined;
  /** Reused, 8-byte aligned copy of one EVENTS frame's columns. */
  private scratch = new ArrayBuffer(0);
  private bounds: LogBounds | undefined;

  constructor(
    private readonly buf: Buffer,
    private readonly name: string,
  ) {}

  parse(): EventLog {
    const { buf, name } = this;
    const size = buf.length;
    if (size < LOG_MAGIC.length && LOG_MAGIC.startsWith(buf.toString('latin1'))) throw this.truncated();
    if (size < LOG_MAGIC.length || buf.toString('latin1', 0, LOG_MAGIC.length) !== LOG_MAGIC)
      throw new UsageError(`${name} is not a restorelab log (it does not start with ${LOG_MAGIC})`);
    if (size < LOG_HEADER_BYTES) throw this.truncated();
    const version = buf.readUInt32LE(4);
    if (version !== LOG_VERSION && version !== 1)
      throw new UsageError(`log ${name} has format version ${version}; this restorelab reads versions 1 to ${LOG_VERSION}`);
    const headerBytes = version === 1 ? V1_FRAME_HEADER_BYTES : FRAME_HEADER_BYTES;

    let off = LOG_HEADER_BYTES;
    while (off < size) {
      if (off + headerBytes > size) throw this.truncated();
      const type = buf[off];
      const len = buf.readUInt32LE(off + 1);
      const start = off + headerBytes;
      if (start + len > size) throw this.truncated();
      const payload = buf.subarray(start, start + len);
      if (version !== 1 && crc32(payload) !== buf.readUInt32LE(off + 5))
        throw this.corrupt(`the frame at byte ${off} (type ${type}, ${len} bytes) fails its CRC-32 check`);
      if (this.meta === undefined && type !== FrameType.Meta)
        throw this.corrupt(`expected the META frame at byte ${off}, found frame type ${type}`);
      switch (type) {
        case FrameType.Meta:
          if (this.meta !== undefined) throw this.corrupt(`second META frame at byte ${off}`);
          this.meta = this.readMeta(payload, off);
          break;
        case FrameType.Strings:
          this.readStrings(payload, off);
          break;
        case FrameType.Events:
          this.readEvents(payload, off);
          break;
        case FrameType.End: {
          this.readEnd(payload, off);
          const after = start + len;
          if (after !== size) throw this.corrupt(`${size - after} stray bytes after the END frame`);
          return { meta: this.meta!, store: this.store };
        }
        default:
          throw this.corrupt(`unknown frame type ${type} at byte ${off}`);
      }
      off = start + len;
    }
    throw new UsageError(
      `log ${name} has no END frame (it stops at byte ${size}): the run did not finish or the file was cut`,
    );
  }

  private truncated(): UsageError {
    return new UsageError(
      `log ${this.name} is truncated at byte ${this.buf.length}: the run did not finish or the file was cut`,
    );
  }

  private corrupt(what: string): UsageError {
    return new UsageError(`log ${this.name} is corrupt: ${what}`);
  }

  private json(payload: Buffer, off: number, frame: string): unknown {
    try {
      return JSON.parse(payload.toString('utf8'));
    } catch (e) {
      throw this.corrupt(`bad JSON in the ${frame} frame at byte ${off} (${oneLine(e)})`);
    }
  }

  private readMeta(payload: Buffer, off: number): RunMeta {
    const m = this.json(payload, off, 'META');
    const bad = checkRunMeta(m);
    if (bad) throw this.corrupt(`the META frame at byte ${off} is not restorelab run metadata (${bad})`);
    this.bounds = new LogBounds(m as RunMeta);
    return m as RunMeta;
  }

  private readStrings(payload: Buffer, off: number): void {
    const list = this.json(payload, off, 'STRINGS');
    if (!Array.isArray(list)) throw this.corrupt(`the STRINGS frame at byte ${off} is not a JSON array`);
    const store = this.store;
    for (const s of list) {
      if (typeof s !== 'string') throw this.corrupt(`the STRINGS frame at byte ${off} holds a non-string`);
      const expected = store.stringCount;
      if (store.intern(s) !== expected) throw this.corrupt(`the STRINGS frame at byte ${off} repeats the string '${s}'`);
    }
  }

  private readEvents(payload: Buffer, off: number): void {
    if (payload.length < 4) throw this.corrupt(`the EVENTS frame at byte ${off} is too short`);
    const n = payload.readUInt32LE(0);
    const bytes = n * EVENT_RECORD_BYTES;
    if (payload.length !== 4 + bytes)
      throw this.corrupt(`the EVENTS frame at byte ${off} has ${payload.length} bytes, expected ${4 + bytes} for ${n} events`);
    if (this.scratch.byteLength < bytes) this.scratch = new ArrayBuffer(Math.max(bytes, this.scratch.byteLength * 2));
    new Uint8Array(this.scratch, 0, bytes).set(payload.subarray(4));
    const t = new Float64Array(this.scratch, 0, n);
    const a = new Float64Array(this.scratch, 8 * n, n);
    const b = new Float64Array(this.scratch, 16 * n, n);
    const c = new Float64Array(this.scratch, 24 * n, n);
    const d = new Float64Array(this.scratch, 32 * n, n);
    const pid = new Int32Array(this.scratch, 40 * n, n);
    const kind = new Uint8Array(this.scratch, 44 * n, n);
    const store = this.store;
    const bounds = this.bounds!;
    for (let i = 0; i < n; i++) {
      const k = kind[i];
      if (k === 0 || k >= EVENT_KIND_COUNT)
        throw this.corrupt(`event #${store.length} (EVENTS frame at byte ${off}) has unknown kind ${k}`);
      if (namesUndefinedString(k, a[i], b[i], store.stringCount))
        throw this.corrupt(`event #${store.length} (EVENTS frame at byte ${off}) names a string the log has not defined`);
      const outside = bounds.check(k, pid[i], a[i], b[i], c[i]);
      if (outside) throw this.corrupt(`event #${store.length} (EVENTS frame at byte ${off}): ${outside}`);
      store.append(k, t[i], pid[i], a[i], b[i], c[i], d[i]);
    }
  }

  private readEnd(payload: Buffer, off: number): void {
    const end = this.json(payload, off, 'END') as { events?: unknown; strings?: unknown } | null;
    if (typeof end !== 'object' || end === null || typeof end.events !== 'number' || typeof end.strings !== 'number')
      throw this.corrupt(`the END frame at byte ${off} does not hold the event and string counts`);
    if (end.events !== this.store.length)
      throw this.corrupt(`the END frame counts ${end.events} events but the log holds ${this.store.length}`);
    if (end.strings !== this.store.stringCount)
      throw this.corrupt(`the END frame counts ${end.strings} strings but the log holds ${this.store.stringCount}`);
  }
}
