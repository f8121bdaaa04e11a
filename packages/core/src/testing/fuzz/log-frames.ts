import { crc32 } from 'zlib';
import { FRAME_HEADER_BYTES, LOG_HEADER_BYTES } from '../../events/event-log-writer';

/** Frame starts of an event log (docs/event-log.md) or a trace (docs/trace-format.md: the same framing), as far as its length fields lead. */
export function frameStarts(buf: Buffer): number[] {
  const out: number[] = [];
  let off = LOG_HEADER_BYTES;
  while (off + FRAME_HEADER_BYTES <= buf.length) {
    out.push(off);
    off += FRAME_HEADER_BYTES + buf.readUInt32LE(off + 1);
  }
  return out;
}

/**
 * A copy of the log or trace with the CRC of every whole frame recomputed: a mutant that gets past the
 * checksum reaches the checks behind it.
 */
export function resealFrames(buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  for (const off of frameStarts(out)) {
    const end = off + FRAME_HEADER_BYTES + out.readUInt32LE(off + 1);
    if (end > out.length) break;
    out.writeUInt32LE(crc32(out.subarray(off + FRAME_HEADER_BYTES, end)), off + 5);
  }
  return out;
}
