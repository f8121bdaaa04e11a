import * as fs from 'fs';

/**
 * Files the project reads whole (logs, cost models, experiments, manifests): only regular files, so
 * a FIFO, a device such as /dev/zero or a directory is refused at once instead of blocking or
 * reading without end, and never more than a limit fixed for each kind of file. A file that cannot
 * be opened throws node's own error (with its errno code); the others are one-line Errors saying
 * what is wrong. Callers put the file's name and kind in front (fileError gives the short reason).
 */

const KIND: readonly [(s: fs.Stats) => boolean, string][] = [
  [(s) => s.isFIFO(), 'a FIFO'],
  [(s) => s.isCharacterDevice(), 'a character device'],
  [(s) => s.isBlockDevice(), 'a block device'],
  [(s) => s.isSocket(), 'a socket'],
];

/** Opens a regular file for reading without blocking on a FIFO; the fd is the caller's to close. */
export function openRegularFile(file: string): { readonly fd: number; readonly size: number } {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const st = fs.fstatSync(fd);
  if (st.isDirectory()) {
    fs.closeSync(fd);
    // what reading it would say
    throw Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR' });
  }
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new Error(`not a regular file (${KIND.find(([is]) => is(st))?.[1] ?? 'not a file'})`);
  }
  return { fd, size: st.size };
}

/** The whole of a regular file of at most maxBytes bytes. */
export function readRegularFile(file: string, maxBytes: number): Buffer {
  const { fd, size } = openRegularFile(file);
  try {
    if (size > maxBytes) throw new Error(`${size} bytes, more than the ${maxBytes} this kind of file may have`);
    const buf = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, buf, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return done === size ? buf : buf.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}

/** Limits per kind of file read whole. */
export const FILE_LIMITS = {
  /** An event log (.rlog or Arrow): the largest Buffer node makes. */
  eventLog: 2 ** 31 - 1,
  costModel: 1 << 20,
  experiment: 16 << 20,
  imageManifest: 256 << 20,
  /** A plugin's entry file, checked before require() reads it. */
  plugin: 64 << 20,
} as const;

/** The short reason of a failed read: the errno code, or what was wrong with the file. */
export function fileError(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}

/** Reads `length` bytes at `position` into dst, as many reads as it takes; returns how many it got (fewer only at the end of the file). */
export function readFullyAt(fd: number, dst: Uint8Array, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, dst, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
