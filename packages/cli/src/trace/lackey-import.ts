import { PAGE_SIZE, UsageError } from '@restorelab/core';
import { forEachLine, LineHandler, lineText } from './line-source';
import { importBytes, importLines, ImportResult, TraceBuilder, TraceBuilderOptions } from './trace-builder';

export type { ImportResult } from './trace-builder';

export interface LackeyOptions extends TraceBuilderOptions {
  /** Instruction fetches are accesses too (to the code pages); otherwise they only count time. */
  readonly instructions?: boolean;
  /** Compute time of one instruction, ns. */
  readonly nsPerInstruction?: number;
}

const HEX: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) t[97 + i] = t[65 + i] = 10 + i;
  return t;
})();

const SPACE = 32;
const COMMA = 44;
/** Module constants: a name imported from another package is a getter on every use (hot loop). */
const PAGE = PAGE_SIZE;
const LargestAccess = PAGE_SIZE;

/** Lines of valgrind lackey output into `builder`; `skipped` counts the lines that are not accesses. */
function lackeyLines(file: string, builder: TraceBuilder, opts: LackeyOptions, skipped: { n: number }): LineHandler {
  const instructions = opts.instructions === true;
  const insnNs = opts.nsPerInstruction ?? 1;
  const bad = (buf: Buffer, start: number, end: number, line: number, why: string): UsageError =>
    new UsageError(`lackey ${file}: line ${line}: ${why}: ${lineText(buf, start, end)}`);
  return (buf, start, end, line) => {
    if (start === end || buf[start] === 61 /* = */) {
      skipped.n++;
      return;
    }
    let i: number;
    let kind: number;
    if (buf[start] === 73 /* I */ && buf[start + 1] === SPACE && buf[start + 2] === SPACE) {
      kind = 73;
      i = start + 3;
    } else if (buf[start] === SPACE && buf[start + 2] === SPACE && (buf[start + 1] === 76 || buf[start + 1] === 83 || buf[start + 1] === 77)) {
      kind = buf[start + 1];
      i = start + 3;
    } else {
      throw bad(buf, start, end, line, 'not a lackey line');
    }
    // the address: up to 16 hex digits, as a page number and an offset in the page
    let page = 0;
    let offset = 0;
    let digits = 0;
    for (; i < end && buf[i] !== COMMA; i++) {
      const d = HEX[buf[i]];
      if (d < 0 || ++digits > 16) throw bad(buf, start, end, line, 'bad address');
      const t = offset * 16 + d;
      offset = t % PAGE;
      page = page * 16 + Math.floor(t / PAGE);
    }
    if (digits === 0 || i >= end) throw bad(buf, start, end, line, 'bad address');
    let size = 0;
    let sizeDigits = 0;
    for (i++; i < end; i++) {
      const c = buf[i] - 48;
      if (c < 0 || c > 9 || ++sizeDigits > 5) throw bad(buf, start, end, line, 'bad size');
      size = size * 10 + c;
    }
    if (sizeDigits === 0 || size === 0 || size > LargestAccess) throw bad(buf, start, end, line, 'bad size');
    if (kind === 73) {
      builder.time(insnNs);
      if (!instructions) return;
    }
    const write = kind === 83 || kind === 77;
    const last = page + Math.floor((offset + size - 1) / PAGE);
    for (let p = page; p <= last; p++) builder.access(p, write);
  };
}

/**
 * Imports valgrind `--tool=lackey --trace-mem=yes` output: `I  addr,size` (instruction fetch),
 * ` L addr,size` (load), ` S` (store), ` M` (modify: a load and a store, so a write); `==PID==` lines
 * are skipped; an access that straddles a page boundary touches each page it covers.
 */
export function importLackey(file: string, opts: LackeyOptions): Promise<ImportResult> {
  return importLines(opts, (b, skipped) => lackeyLines(file, b, opts, skipped), (onLine) => forEachLine(file, 'lackey trace', onLine));
}

/** importLackey of bytes in memory (the fuzz tests: the same parser, without the stream). */
export function importLackeyBytes(bytes: Buffer, name: string, opts: LackeyOptions): ImportResult {
  return importBytes(opts, (b, skipped) => lackeyLines(name, b, opts, skipped), bytes, name, 'lackey trace');
}
