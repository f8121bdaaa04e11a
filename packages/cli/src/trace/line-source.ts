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

/** Splits chunks into lines for `onLine` (a line longer than MAX_LINE_BYTES is an error); `end()` gives the last one. */
export class LineSplitter {
  private carry: Buffer | undefined;
  lines = 0;
  bytes = 0;

  constructor(
    private readonly file: string,
    private readonly what: string,
    private readonly onLine: LineHandler,
  ) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let start = 0;
    if (this.carry) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, chunk]);
        if (this.carry.length > MAX_LINE_BYTES) throw this.tooLong();
        return;
      }
      const whole = Buffer.concat([this.carry, chunk.subarray(0, nl)]);
      this.carry = undefined;
      if (whole.length > MAX_LINE_BYTES) throw this.tooLong();
      this.onLine(whole, 0, trimCr(whole, 0, whole.length), ++this.lines);
      start = nl + 1;
    }
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      if (nl - start > MAX_LINE_BYTES) throw this.tooLong();
      this.onLine(chunk, start, trimCr(chunk, start, nl), ++this.lines);
      start = nl + 1;
    }
    if (start < chunk.length) {
      if (chunk.length - start > MAX_LINE_BYTES) throw this.tooLong();
      this.carry = Buffer.from(chunk.subarray(start));
    }
  }

  end(): { bytes: number; lines: number } {
    if (this.carry) this.onLine(this.carry, 0, trimCr(this.carry, 0, this.carry.length), ++this.lines);
    this.carry = undefined;
    return { bytes: this.bytes, lines: this.lines };
  }

  private tooLong(): UsageError {
    return new UsageError(`${this.what} ${this.file}: line ${this.lines + 1} is longer than ${MAX_LINE_BYTES} bytes`);
  }
}

/**
 * Streams the lines of `file` (gzip is recognised and decompressed on the fly) through `onLine`, in
 * constant memory. Resolves with the bytes read (after decompression) and the lines.
 */
export async function forEachLine(file: string, what: string, onLine: LineHandler): Promise<{ bytes: number; lines: number }> {
  const input = openInput(file, what);
  const splitter = new LineSplitter(file, what, onLine);
  try {
    for await (const chunk of input) splitter.push(chunk);
  } catch (e) {
    if (input instanceof Readable && input !== process.stdin) input.destroy();
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${file}: ${code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' ? 'corrupt gzip data' : code ?? (e as Error).message}`);
  }
  return splitter.end();
}

function trimCr(buf: Buffer, start: number, end: number): number {
  return end > start && buf[end - 1] === 13 ? end - 1 : end;
}
