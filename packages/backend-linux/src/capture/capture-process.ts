import * as fs from 'fs';
import * as path from 'path';
import {
  IMAGE_TRACE_FILE,
  PAGE_SIZE,
  PageFlag,
  ProcessImage,
  readFullyAt,
  readTrace,
  tracesForImage,
  UsageError,
  validateImage,
  vmaOfPage,
  writeImage,
} from '@restorelab/core';
import { FdImage, ProcessImageWritten } from './fd-image';
import { holdStopped, readProc } from './proc-control';
import { isPrivateAnonymous, parseSmaps, vmasOfMappings } from './proc-maps';

/** The pid a captured process has in its image (the root of a one-process tree). */
export const CAPTURED_PID = 1;

const PM_PRESENT = 2n ** 63n;
const PM_SWAPPED = 2n ** 62n;
/** Pagemap entries read at a time (8 bytes each). */
const PAGEMAP_CHUNK = 4096;
/** Content read from /proc/PID/mem at a time, in pages. */
const MEM_CHUNK = 256;

export interface CaptureOptions {
  /** A trace of the same program, checked against the captured VMAs and kept as the image's trace. */
  readonly trace?: string;
  /** Aborts between chunks (the process is resumed). */
  readonly signal?: AbortSignal;
}

export interface CaptureResult extends ProcessImageWritten {
  /** Present or swapped pages whose content is all zero. */
  readonly zeroPagesRead: number;
  readonly hugepageVmas: number;
  /** How long the process was kept stopped. */
  readonly stoppedMs: number;
  readonly trace?: string;
}

function readFully(fd: number, dst: Uint8Array, length: number, position: number): void {
  const got = readFullyAt(fd, dst, length, position);
  if (got < length) throw new Error(`short read at 0x${(position + got).toString(16)}`);
}

/**
 * Writes an image of a running process (private anonymous memory, from /proc/PID/smaps, pagemap and
 * mem) into `out`, with the process stopped (SIGSTOP) while it is read and resumed after, on every
 * path. A page neither present nor swapped is a zero page without being read; a page read as all
 * zeros is a zero page too. THP advice comes from smaps' VmFlags.
 */
export async function captureProcess(pid: number, out: string, opts: CaptureOptions = {}): Promise<CaptureResult> {
  if (!(Number.isSafeInteger(pid) && pid > 0)) throw new UsageError(`--pid must be a process id, got ${pid}`);
  if (pid === process.pid) throw new UsageError('restorelab cannot capture itself');
  const command = readProc(pid, 'comm').trim();
  const t0 = performance.now();
  const hold = await holdStopped(pid);
  const wasStopped = hold.wasStopped;
  let memFd: number | undefined;
  let mapFd: number | undefined;
  try {
    const mappings = parseSmaps(readProc(pid, 'smaps')).filter(isPrivateAnonymous);
    if (mappings.length === 0) throw new UsageError(`process ${pid} (${command}) has no private anonymous memory to capture`);
    try {
      memFd = fs.openSync(`/proc/${pid}/mem`, 'r');
      mapFd = fs.openSync(`/proc/${pid}/pagemap`, 'r');
    } catch (e) {
      throw new UsageError(`cannot read the memory of process ${pid}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (capture needs root or ptrace rights over it)`);
    }
    const vmas = vmasOfMappings(mappings);
    const firstPage = vmas.reduce((n, v) => n + v.pages, 0);
    const flags = new Uint8Array(firstPage);
    const counts = { content: 0, zero: 0, untouched: 0 };
    const entries = Buffer.alloc(PAGEMAP_CHUNK * 8);
    const content = Buffer.alloc(MEM_CHUNK * PAGE_SIZE);
    const zeros = Buffer.alloc(PAGE_SIZE);
    for (const v of vmas) {
      for (let at = 0; at < v.pages; at += PAGEMAP_CHUNK) {
        if (opts.signal?.aborted) throw new UsageError(`capture of process ${pid} interrupted (the process was resumed)`);
        const n = Math.min(PAGEMAP_CHUNK, v.pages - at);
        readFully(mapFd, entries, n * 8, (v.start / PAGE_SIZE + at) * 8);
        let i = 0;
        while (i < n) {
          const e = entries.readBigUInt64LE(i * 8);
          if (!(e & (PM_PRESENT | PM_SWAPPED))) {
            counts.untouched++;
            i++;
            continue;
          }
          // a run of resident pages, read in one go
          let j = i + 1;
          while (j < n && j - i < MEM_CHUNK && entries.readBigUInt64LE(j * 8) & (PM_PRESENT | PM_SWAPPED)) j++;
          readFully(memFd, content, (j - i) * PAGE_SIZE, v.start + (at + i) * PAGE_SIZE);
          for (let k = i; k < j; k++) {
            const page = content.subarray((k - i) * PAGE_SIZE, (k - i + 1) * PAGE_SIZE);
            if (page.equals(zeros)) counts.zero++;
            else {
              flags[v.firstPage + at + k] = PageFlag.Content;
              counts.content++;
            }
          }
          i = j;
        }
        await new Promise((r) => setImmediate(r));
      }
    }
    const proc: ProcessImage = { pid: CAPTURED_PID, parent: null, vmas, totalPages: firstPage, pageFlags: flags, blobOffset: 0 };
    const image = new FdImage(`capture: pid ${pid} (${command})`, proc, memFd, (page) => {
      const v = vmaOfPage(proc, page)!;
      return v.start + (page - v.firstPage) * PAGE_SIZE;
    });
    validateImage(image, `process ${pid} (${command})`);
    const trace = opts.trace === undefined ? undefined : readTrace(opts.trace);
    if (trace) tracesForImage(trace, image);
    const files = writeImage(image, out);
    if (opts.trace) fs.copyFileSync(opts.trace, path.join(out, IMAGE_TRACE_FILE));
    return {
      files,
      image,
      command,
      vmas: vmas.length,
      pages: firstPage,
      contentPages: counts.content,
      zeroPagesRead: counts.zero,
      untouchedPages: counts.untouched,
      hugepageVmas: vmas.filter((v) => v.thp === 'hugepage').length,
      stoppedMs: performance.now() - t0,
      wasStopped,
      trace: opts.trace,
    };
  } finally {
    if (memFd !== undefined) fs.closeSync(memFd);
    if (mapFd !== undefined) fs.closeSync(mapFd);
    hold.release();
  }
}
