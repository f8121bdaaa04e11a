import * as fs from 'fs';
import { pipeline, Readable } from 'stream';
import { createGunzip } from 'zlib';
import { UsageError } from '@restorelab/core';

/** The longest line an importer accepts: memory stays bounded whatever the input is. */
export const MAX_LINE_BYTES = 4096;

/** Called with each line's bytes (without the newline); `line` counts from 1. */
export type LineHandler = (buf: Buffer, start: number, end: number, line: number) => void;

/** The bytes of a line as text for an error message, cut short. */
export function lineText(buf: Buffer, start: number, end: number): string {
  const s = buf.toString('latin1', start, Math.min(end, start + 60));
  return JSON.stringify(end - start > 60 ? `${s}...` : s);
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** A regular file starting with gzip's magic; a FIFO or stdin is gzip when its name ends in .gz. */
function isGzip(file: string, st: fs.Stats | undefined): boolean {
  if (!st?.isFile()) return file.endsWith('.gz');
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return fs.readSync(fd, b, 0, 2, 0) === 2 && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1];
  } finally {
    fs.closeSync(fd);
  }
}

/** An input to import: a regular file, a FIFO (a tool writing into it) or '-' for stdin; never a device or a directory. */
function openInput(file: string, what: string): AsyncIterable<Buffer> {
  let st: fs.Stats | undefined;
  if (file !== '-') {
    try {
      st = fs.statSync(file);
    } catch (e) {
      throw new UsageError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (st.isDirectory()) throw new UsageError(`cannot read ${what} ${file}: EISDIR`);
    if (!st.isFile() && !st.isFIFO()) throw new UsageError(`cannot read ${what} ${file}: not a regular file or a FIFO`);
  }
  const input: Readable = file === '-' ? process.stdin : fs.createReadStream(file, { highWaterMark: 1 << 20 });
  if (!isGzip(file, st)) return input;
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  // errors of either end reach the loop that reads gunzip
  pipeline(input, gunzip, () => undefined);
  return gunzip;
}

/**
 * Streams the lines of `file` (gzip is recognised and decompressed on the fly) through `onLine`, in
 * constant memory: a line longer than MAX_LINE_BYTES is an error. Resolves with the bytes read
 * (after decompression) and the lines.
 */
export async function forEachLine(file: string, what: string, onLine: LineHandler): Promise<{ bytes: number; lines: number }> {
  const input = openInput(file, what);
  const tooLong = (): UsageError => new UsageError(`${what} ${file}: line ${line + 1} is longer than ${MAX_LINE_BYTES} bytes`);
  let carry: Buffer | undefined;
  let line = 0;
  let bytes = 0;
  try {
    for await (const chunk of input) {
      bytes += chunk.length;
      let start = 0;
      if (carry) {
        const nl = chunk.indexOf(10);
        if (nl < 0) {
          carry = Buffer.concat([carry, chunk]);
          if (carry.length > MAX_LINE_BYTES) throw tooLong();
          continue;
        }
        const whole = Buffer.concat([carry, chunk.subarray(0, nl)]);
        carry = undefined;
        if (whole.length > MAX_LINE_BYTES) throw tooLong();
        onLine(whole, 0, trimCr(whole, 0, whole.length), ++line);
        start = nl + 1;
      }
      for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
        if (nl - start > MAX_LINE_BYTES) throw tooLong();
        onLine(chunk, start, trimCr(chunk, start, nl), ++line);
        start = nl + 1;
      }
      if (start < chunk.length) {
        if (chunk.length - start > MAX_LINE_BYTES) throw tooLong();
        carry = Buffer.from(chunk.subarray(start));
      }
    }
  } catch (e) {
    if (input instanceof Readable && input !== process.stdin) input.destroy();
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${file}: ${code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' ? 'corrupt gzip data' : code ?? (e as Error).message}`);
  }
  if (carry) onLine(carry, 0, trimCr(carry, 0, carry.length), ++line);
  return { bytes, lines: line };
}

function trimCr(buf: Buffer, start: number, end: number): number {
  return end > start && buf[end - 1] === 13 ? end - 1 : end;
}
