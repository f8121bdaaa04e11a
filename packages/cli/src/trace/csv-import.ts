import { PAGE_SIZE, UsageError } from '@restorelab/core';
import { forEachLine, LineHandler, lineText } from './line-source';
import { importBytes, importLines, ImportResult, TraceBuilder, TraceBuilderOptions } from './trace-builder';

export interface CsvOptions extends TraceBuilderOptions {
  /** Where page offsets count from: the address of page offset 0. */
  readonly base: number;
  /** Compute time before each access, ns. */
  readonly gapNs: number;
}

const ADDRESS = /^0[xX]([0-9a-fA-F]{1,16})$/;
const OFFSET = /^[0-9]{1,15}$/;
const WRITE: Record<string, boolean> = { r: false, read: false, '0': false, w: true, write: true, '1': true };

/** A hex address as a virtual page number: its digits but the last three (exact for any 64-bit address). */
function hexPage(hex: string): number {
  return hex.length > 3 ? parseInt(hex.slice(0, -3), 16) : 0;
}

/** Lines of a CSV trace into `builder`; `skipped` counts blank, comment and header lines. */
function csvLines(file: string, builder: TraceBuilder, opts: CsvOptions, skipped: { n: number }): LineHandler {
  const basePage = Math.floor(opts.base / PAGE_SIZE);
  return (buf, start, end, line) => {
    const text = buf.toString('latin1', start, end).trim();
    if (text === '' || text.startsWith('#')) {
      skipped.n++;
      return;
    }
    const [value, op, ...rest] = text.split(',').map((f) => f.trim());
    let page: number;
    const a = ADDRESS.exec(value);
    if (a) page = hexPage(a[1]);
    else if (OFFSET.test(value)) page = basePage + Number(value);
    else if (line === 1) {
      skipped.n++;
      return;
    } else throw new UsageError(`csv ${file}: line ${line}: expected a hex address (0x...) or a page offset: ${lineText(buf, start, end)}`);
    const write = op === undefined || op === '' ? false : WRITE[op.toLowerCase()];
    if (write === undefined || rest.length > 0) throw new UsageError(`csv ${file}: line ${line}: expected ADDRESS[,r|w]: ${lineText(buf, start, end)}`);
    builder.time(opts.gapNs);
    builder.access(page, write);
  };
}

/**
 * Imports one access per line, REAP / Firecracker-handler style: `0x7f0012345000` (an address) or
 * `1234` (a page offset from `base`), optionally `,r` or `,w` after it. Blank lines and `#` comments
 * are skipped, and so is a first line that is a header.
 */
export function importCsv(file: string, opts: CsvOptions): Promise<ImportResult> {
  return importLines(opts, (b, skipped) => csvLines(file, b, opts, skipped), (onLine) => forEachLine(file, 'csv trace', onLine));
}

/** importCsv of bytes in memory (the fuzz tests: the same parser, without the stream). */
export function importCsvBytes(bytes: Buffer, name: string, opts: CsvOptions): ImportResult {
  return importBytes(opts, (b, skipped) => csvLines(name, b, opts, skipped), bytes, name, 'csv trace');
}
