import { closeSync, openSync, writeSync } from 'fs';
import { endianness } from 'os';
import { crc32 } from 'zlib';
import { CRC_FRAME_HEADER_BYTES, crcFrameHeader } from '../io/crc-frame';
import { RunMeta } from '../events/run-meta';
import { UsageError } from '../errors/usage-error';
import { EVENT_CHUNK, EventStore, EventStoreListener } from './event-store';

/**
 * The binary event log (docs/event-log.md), little-endian:
 *   "RLOG", u32 version, then frames: u8 type, u32 payload length, u32 CRC-32 of the payload, payload.
 * Version 1 (still read) had no CRC.
 */
export const LOG_MAGIC = 'RLOG';
export const LOG_VERSION = 2;
export const LOG_HEADER_BYTES = 8;
export const FRAME_HEADER_BYTES = CRC_FRAME_HEADER_BYTES;
/** Version 1's frame header: type and length only. */
export const V1_FRAME_HEADER_BYTES = 5;

export const FrameType = {
  /** JSON (utf8) of the RunMeta. Always the first frame. */
  Meta: 1,
  /** JSON array of the strings interned since the previous STRINGS frame, appended to the table in order. */
  Strings: 2,
  /** u32 n, then the columns n×f64 t, a, b, c, d, n×i32 pid, n×u8 kind. */
  Events: 3,
  /** JSON {"events": total, "strings": total}. Always the last frame. */
  End: 4,
} as const;

/** Bytes per event in an EVENTS frame: five f64 columns, one i32, one u8. */
export const EVENT_RECORD_BYTES = 5 * 8 + 4 + 1;

export function assertLittleEndianHost(): void {
  if (endianness() !== 'LE') throw new UsageError('restorelab event logs are read and written on little-endian hosts only');
}

/**
 * Streams a store's events to a file while the run goes: the header and META frame at once, then
 * a STRINGS frame (if any string is new) and EVENTS frames for every chunk, END on close.
 */
export class EventLogWriter implements EventStoreListener {
  private fd: number | undefined;
  /** Own counters rather than the chunk bounds, so a writer added to a non-empty store writes everything. */
  private eventsWritten = 0;
  private stringsWritten = 0;

  constructor(
    readonly path: string,
    meta: RunMeta,
  ) {
    assertLittleEndianHost();
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new UsageError(`cannot write log ${path}: ${oneLine(e)}`);
    }
    const head = Buffer.alloc(LOG_HEADER_BYTES);
    head.write(LOG_MAGIC, 0, 'latin1');
    head.writeUInt32LE(LOG_VERSION, 4);
    this.write(head);
    this.writeFrame(FrameType.Meta, Buffer.from(JSON.stringify(meta), 'utf8'));
  }

  onChunk(store: EventStore, _from: number, to: number, _stringsFrom: number): void {
    if (this.fd === undefined) return;
    this.writeStrings(store);
    this.writeEvents(store, to);
  }

  onClose(store: EventStore): void {
    if (this.fd === undefined) return;
    this.writeStrings(store);
    this.writeEvents(store, store.length);
    const end = { events: this.eventsWritten, strings: this.stringsWritten };
    this.writeFrame(FrameType.End, Buffer.from(JSON.stringify(end), 'utf8'));
    closeSync(this.fd);
    this.fd = undefined;
  }

  private writeStrings(store: EventStore): void {
    const n = store.stringCount;
    if (n <= this.stringsWritten) return;
    const fresh: string[] = [];
    for (let i = this.stringsWritten; i < n; i++) fresh.push(store.string(i));
    this.writeFrame(FrameType.Strings, Buffer.from(JSON.stringify(fresh), 'utf8'));
    this.stringsWritten = n;
  }

  private writeEvents(store: EventStore, to: number): void {
    while (this.eventsWritten < to) {
      const from = this.eventsWritten;
      const n = Math.min(EVENT_CHUNK, to - from);
      const payload = 4 + n * EVENT_RECORD_BYTES;
      const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload);
      buf.writeUInt8(FrameType.Events, 0);
      buf.writeUInt32LE(payload, 1);
      buf.writeUInt32LE(n, FRAME_HEADER_BYTES);
      let o = FRAME_HEADER_BYTES + 4;
      for (const col of [store.t, store.a, store.b, store.c, store.d]) {
        buf.set(new Uint8Array(col.buffer, col.byteOffset + from * 8, n * 8), o);
        o += n * 8;
      }
      buf.set(new Uint8Array(store.pid.buffer, store.pid.byteOffset + from * 4, n * 4), o);
      o += n * 4;
      buf.set(store.kind.subarray(from, from + n), o);
      buf.writeUInt32LE(crc32(buf.subarray(FRAME_HEADER_BYTES)), 5);
      this.write(buf);
      this.eventsWritten = from + n;
    }
  }

  private writeFrame(type: number, payload: Buffer): void {
    this.write(crcFrameHeader(type, payload));
    this.write(payload);
  }

  private write(buf: Uint8Array): void {
    let done = 0;
    try {
      while (done < buf.length) done += writeSync(this.fd!, buf, done, buf.length - done);
    } catch (e) {
      throw new Error(`cannot write log ${this.path}: ${oneLine(e)}`);
    }
  }
}

/** An error as one line; for a system error, its code and text without the repeated path. */
export function oneLine(e: unknown): string {
  const err = e as { message?: unknown; code?: unknown; syscall?: unknown } | null;
  let m = typeof err?.message === 'string' ? err.message : String(e);
  if (typeof err?.code === 'string' && typeof err.syscall === 'string') m = m.replace(/, \w+ '[^']*'$/, '');
  return m.replace(/\s*\n\s*/g, ' ').trim();
}
