import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../errors/usage-error';
import { fileError, readRegularFile } from '../io/regular-file';
import { CRIU_MAGIC, criuType, CriuMessage } from './criu-schema';

/** Most bytes of one CRIU protobuf image read whole (an mm image of 65530 VMAs is a few MiB). */
export const CRIU_IMAGE_LIMIT = 256 << 20;

/**
 * The entries of a CRIU protobuf image (criu/image.c): IMG_COMMON_MAGIC (except the inventory),
 * the image's own magic, then [u32 little-endian length][message] to the end of the file. `first`
 * and `rest` name the message types: pagemap has a head, then entries. Every length is checked
 * against the bytes left before anything is decoded. Throws a one-line UsageError naming the file.
 */
export function readCriuEntries(dir: string, file: string, magic: number, first: CriuMessage, rest: CriuMessage = first): Record<string, unknown>[] {
  const where = path.join(dir, file);
  let buf: Buffer;
  try {
    buf = readRegularFile(where, CRIU_IMAGE_LIMIT);
  } catch (e) {
    throw new UsageError(`CRIU image ${where}: cannot read it (${fileError(e)})`);
  }
  const bad = (at: number, what: string) => new UsageError(`CRIU image ${where}: ${what} at byte ${at}`);
  let off = 0;
  if (magic !== CRIU_MAGIC.inventory) {
    if (buf.length < 4 || buf.readUInt32LE(0) !== CRIU_MAGIC.common) throw bad(0, `not a CRIU image (no magic 0x${CRIU_MAGIC.common.toString(16)})`);
    off = 4;
  }
  if (buf.length < off + 4) throw bad(off, 'truncated magic');
  const got = buf.readUInt32LE(off);
  if (got !== magic) throw bad(off, `magic 0x${got.toString(16)}, expected 0x${magic.toString(16)} (a different kind of image)`);
  off += 4;
  const out: Record<string, unknown>[] = [];
  while (off < buf.length) {
    if (off + 4 > buf.length) throw bad(off, 'truncated entry length');
    const len = buf.readUInt32LE(off);
    if (len > buf.length - off - 4) throw bad(off, `an entry of ${len} bytes, ${buf.length - off - 4} left in the file`);
    const type = criuType(out.length === 0 ? first : rest);
    try {
      const msg = type.decode(buf.subarray(off + 4, off + 4 + len));
      out.push(type.toObject(msg, { longs: Number, defaults: false }) as Record<string, unknown>);
    } catch (e) {
      throw bad(off, `cannot parse a ${type.name} entry (${(e as Error).message.split('\n')[0]})`);
    }
    off += 4 + len;
  }
  return out;
}

/** A CRIU image file's path, or undefined when there is none. */
export function criuFile(dir: string, file: string): string | undefined {
  const p = path.join(dir, file);
  return fs.existsSync(p) ? p : undefined;
}
