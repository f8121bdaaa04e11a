import * as path from 'path';
import * as fs from 'fs';
import { UsageError } from '../errors/usage-error';
import { formatBytes } from './format-bytes';

/** Space a file system keeps free after we write: other work on the machine needs some too. */
const RESERVE_BYTES = 256 << 20;

/** Bytes an unprivileged writer may still put on the file system that holds (or will hold) `dir`. */
export function freeDiskBytes(dir: string): number {
  let at = path.resolve(dir);
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  const st = fs.statfsSync(at);
  return st.bavail * st.bsize;
}

/** Refuses, before anything is written, `bytes` more than `dir`'s file system has room for. */
export function checkFreeDisk(dir: string, bytes: number, what: string): void {
  let free: number;
  try {
    free = freeDiskBytes(dir);
  } catch {
    return; // the write itself will say what is wrong with the directory
  }
  if (bytes + RESERVE_BYTES > free) {
    throw new UsageError(`${what} needs about ${formatBytes(bytes)} in ${dir}, which has ${formatBytes(free)} free (${formatBytes(RESERVE_BYTES)} kept in reserve)`);
  }
}
