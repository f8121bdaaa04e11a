import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PAGE_SIZE, PageFlag, ProcessImage, readFullyAt, UsageError, validateImage, writeImage } from '@restorelab/core';
import { buildDir } from '../native-binding';
import { CAPTURED_PID } from './capture-process';
import { FdImage, ProcessImageWritten } from './fd-image';
import { holdStopped, procState, readProc } from './proc-control';
import { isPrivateAnonymous, parseSmaps, ProcMapping, vmasOfMappings } from './proc-maps';

export const SNAPSHOT_BINARY = path.join(buildDir, 'restorelab-snapshot');
/** Default and largest write buffer (MiB). */
export const DEFAULT_SNAPSHOT_BUFFER_MIB = 64;
export const MAX_SNAPSHOT_BUFFER_MIB = 65536;
/** Pages scanned at a time for content when the image is written. */
const SCAN_PAGES = 256;

export interface SnapshotOptions {
  /** The bound on pages copied at write faults and not yet written out, MiB (fractions allowed, at least one page). */
  readonly bufferMib?: number;
  /** Stops the snapshot (the engine is killed: its userfaultfd goes and the process runs on). */
  readonly signal?: AbortSignal;
}

/** What restorelab-snapshot measured (native/snapshot/snapshot-main.c), and what the image holds. */
export interface SnapshotResult extends ProcessImageWritten {
  /** Pages the background copier wrote out. */
  readonly copiedBackground: number;
  /** Pages a write fault copied into the buffer first. */
  readonly copiedOnWrite: number;
  /** Pages read more than once (copiedBackground + copiedOnWrite + untouched - pages): 0 unless the engine is wrong. */
  readonly pagesCopiedTwice: number;
  readonly writeFaults: number;
  /** The process's write faults, from the message to the unprotect that woke it: total and longest, ms. */
  readonly writeStallMs: number;
  readonly writeStallMaxMs: number;
  readonly bufferPages: number;
  readonly peakBufferPages: number;
  /** Write faults that waited for the buffer to have room (the synchronous fallback). */
  readonly bufferFullWaits: number;
  /** The process stopped: from SIGSTOP to its resumption with everything write-protected, ms. */
  readonly pausedMs: number;
  /** From SIGSTOP to the last page written out, ms. */
  readonly snapshotMs: number;
  /** AnonHugePages of the snapshot's mappings before and after (a 4 KiB unprotect splits a huge page), KiB; null: the process is gone. */
  readonly hugePagesKiBBefore: number;
  readonly hugePagesKiBAfter: number | null;
}

interface NativeFigures {
  readonly pages: number;
  readonly copiedBackground: number;
  readonly copiedOnWrite: number;
  readonly untouched: number;
  readonly writeFaults: number;
  readonly stallNs: number;
  readonly stallMaxNs: number;
  readonly peakBufferPages: number;
  readonly bufferPages: number;
  readonly bufferFullWaits: number;
  readonly setupNs: number;
}

function hugePagesKiB(pid: number, mappings: readonly ProcMapping[]): number {
  const starts = new Set(mappings.map((m) => m.start));
  let kib = 0;
  let counting = false;
  for (const line of readProc(pid, 'smaps').split('\n')) {
    const head = /^([0-9a-f]+)-[0-9a-f]+ /.exec(line);
    if (head) counting = starts.has(parseInt(head[1], 16));
    else if (counting && line.startsWith('AnonHugePages:')) kib += parseInt(line.slice('AnonHugePages:'.length), 10) || 0;
  }
  return kib;
}

/** After the snapshot the process may have exited (its image is still good). */
function hugePagesAfter(pid: number, mappings: readonly ProcMapping[]): number | null {
  try {
    return procState(pid) === 'Z' ? null : hugePagesKiB(pid, mappings);
  } catch {
    return null;
  }
}

function runNative(args: readonly string[], signal?: AbortSignal): Promise<NativeFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(SNAPSHOT_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stop = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', stop);
    child.once('close', () => signal?.removeEventListener('abort', stop));
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', (e) => reject(new Error(`cannot start ${SNAPSHOT_BINARY}: ${e.message} (rebuild the native addon)`)));
    child.once('close', (code, killed) => {
      if (code === 0) {
        try {
          return resolve(JSON.parse(out) as NativeFigures);
        } catch {
          return reject(new Error(`restorelab-snapshot printed no figures: ${out.trim().slice(0, 200)}`));
        }
      }
      const why = err.trim().split('\n').pop()?.replace(/^restorelab-snapshot: /, '');
      if (signal?.aborted) reject(new UsageError(`snapshot of process ${args[0]} interrupted (the process runs on)`));
      else reject(new UsageError(why || `the snapshot engine ended with ${killed ?? `exit code ${code}`} (the process runs on)`));
    });
  });
}

/**
 * A live snapshot of a process (seed 004): stopped only while its memory is write-protected, then
 * copied in the background as it runs; a page it writes first is copied at that write fault into
 * a buffer of `bufferMib`. The image in `out` is its private anonymous memory as it was at the
 * instant it was stopped; the process is resumed on every path (unless it was stopped already).
 */
export async function snapshotProcess(pid: number, out: string, opts: SnapshotOptions = {}): Promise<SnapshotResult> {
  if (!(Number.isSafeInteger(pid) && pid > 0)) throw new UsageError(`--pid must be a process id, got ${pid}`);
  if (pid === process.pid) throw new UsageError('restorelab cannot snapshot itself');
  const bufferMib = opts.bufferMib ?? DEFAULT_SNAPSHOT_BUFFER_MIB;
  const bufferPages = Math.floor((bufferMib * 1024 * 1024) / PAGE_SIZE);
  if (!(Number.isFinite(bufferMib) && bufferMib <= MAX_SNAPSHOT_BUFFER_MIB && bufferPages >= 1))
    throw new UsageError(`--buffer-mib must be at least one page (${PAGE_SIZE / 1024 / 1024}) and at most ${MAX_SNAPSHOT_BUFFER_MIB}, got ${bufferMib}`);
  if (!fs.existsSync(SNAPSHOT_BINARY)) throw new Error(`the snapshot engine is not built (missing ${SNAPSHOT_BINARY}); rebuild the native addon`);
  const command = readProc(pid, 'comm').trim();
  fs.mkdirSync(out, { recursive: true });
  const blobPath = path.join(out, `.snapshot-pages.tmp-${process.pid}`);
  const t0 = performance.now();
  const hold = await holdStopped(pid);
  const wasStopped = hold.wasStopped;
  let fd: number | undefined;
  try {
    const mappings = parseSmaps(readProc(pid, 'smaps')).filter(isPrivateAnonymous);
    if (mappings.length === 0) throw new UsageError(`process ${pid} (${command}) has no private anonymous memory to snapshot`);
    const vmas = vmasOfMappings(mappings);
    const hugeBefore = hugePagesKiB(pid, mappings);
    const tNative = performance.now();
    const figures = await runNative([String(pid), blobPath, String(bufferPages), wasStopped ? '0' : '1', ...vmas.map((v) => `${v.start.toString(16)}:${v.pages}`)], opts.signal);
    const snapshotMs = performance.now() - t0;
    const hugeAfter = hugePagesAfter(pid, mappings);
    const totalPages = vmas.reduce((n, v) => n + v.pages, 0);
    if (figures.pages !== totalPages) throw new Error(`restorelab-snapshot copied ${figures.pages} pages of ${totalPages}`);
    fd = fs.openSync(blobPath, 'r');
    const flags = new Uint8Array(totalPages);
    const chunk = Buffer.alloc(SCAN_PAGES * PAGE_SIZE);
    const zeros = Buffer.alloc(PAGE_SIZE);
    let contentPages = 0;
    for (let p = 0; p < totalPages; p += SCAN_PAGES) {
      const n = Math.min(SCAN_PAGES, totalPages - p);
      if (readFullyAt(fd, chunk, n * PAGE_SIZE, p * PAGE_SIZE) < n * PAGE_SIZE) throw new Error('the snapshot pages file is short');
      for (let k = 0; k < n; k++) {
        const page = chunk.subarray(k * PAGE_SIZE, (k + 1) * PAGE_SIZE);
        if (!page.equals(zeros)) {
          flags[p + k] = PageFlag.Content;
          contentPages++;
        }
      }
    }
    const proc: ProcessImage = { pid: CAPTURED_PID, parent: null, vmas, totalPages, pageFlags: flags, blobOffset: 0 };
    const image = new FdImage(`snapshot: pid ${pid} (${command})`, proc, fd, (page) => page * PAGE_SIZE);
    validateImage(image, `process ${pid} (${command})`);
    const files = writeImage(image, out);
    return {
      files,
      image,
      command,
      vmas: vmas.length,
      pages: totalPages,
      contentPages,
      copiedBackground: figures.copiedBackground,
      copiedOnWrite: figures.copiedOnWrite,
      untouchedPages: figures.untouched,
      pagesCopiedTwice: figures.copiedBackground + figures.copiedOnWrite + figures.untouched - totalPages,
      writeFaults: figures.writeFaults,
      writeStallMs: figures.stallNs / 1e6,
      writeStallMaxMs: figures.stallMaxNs / 1e6,
      bufferPages: figures.bufferPages,
      peakBufferPages: figures.peakBufferPages,
      bufferFullWaits: figures.bufferFullWaits,
      pausedMs: tNative - t0 + figures.setupNs / 1e6,
      snapshotMs,
      hugePagesKiBBefore: hugeBefore,
      hugePagesKiBAfter: hugeAfter,
      wasStopped,
    };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(blobPath, { force: true });
    hold.release();
  }
}
