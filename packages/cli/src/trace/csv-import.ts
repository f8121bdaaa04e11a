import { PAGE_SIZE, UsageError } from '@restorelab/core';
import { ImportResult } from './lackey-import';
import { forEachLine, lineText } from './line-source';
import { TraceBuilder, TraceBuilderOptions } from './trace-builder';

export interface CsvOptions extends TraceBuilderOptions {
  /** Where page offsets count from: the address of page offset 0. */
  readonly base: number;
  /** Compute time before each access, ns. */
  readonly gapNs: number;
}

const ADDRESS = /^0[xX]([0-9a-fA-F]{1,16})$/;
const OFFSET = /^[0-9]{1,15}$/;
const WRITE: Record<string, boolean> = { r: false, read: false, '0': false, w: true, write: true, '1': true };

/** A hex string as a virtual page number (exact for any 64-bit address). */
function hexPage(hex: string): number {
  const low = hex.length > 3 ? hex.slice(-3) : hex;
  const high = hex.length > 3 ? hex.slice(0, -3) : '0';
  return parseInt(high, 16) + Math.floor(parseInt(low, 16) / PAGE_SIZE);
}

/**
 * Imports one access per line, REAP / Firecracker-handler style: `0x7f0012345000` (an address) or
 * `1234` (a page offset from `base`), optionally `,r` or `,w` after it. Blank lines and `#` comments
 * are skipped, and so is a first line that is a header.
 */
export async function importCsv(file: string, opts: CsvOptions): Promise<ImportResult> {
  const builder = new TraceBuilder(opts);
  const basePage = Math.floor(opts.base / PAGE_SIZE);
  let skipped = 0;
  try {
    const { bytes, lines } = await forEachLine(file, 'csv trace', (buf, start, end, line) => {
      const text = buf.toString('latin1', start, end).trim();
      if (text === '' || text.startsWith('#')) {
        skipped++;
        return;
      }
      const [value, op, ...rest] = text.split(',').map((f) => f.trim());
      let page: number;
      const a = ADDRESS.exec(value);
      if (a) page = hexPage(a[1]);
      else if (OFFSET.test(value)) page = basePage + Number(value);
      else if (line === 1) {
        skipped++;
        return;
      } else throw new UsageError(`csv ${file}: line ${line}: expected a hex address (0x...) or a page offset: ${lineText(buf, start, end)}`);
      const write = op === undefined || op === '' ? false : WRITE[op.toLowerCase()];
      if (write === undefined || rest.length > 0) throw new UsageError(`csv ${file}: line ${line}: expected ADDRESS[,r|w]: ${lineText(buf, start, end)}`);
      builder.time(opts.gapNs);
      builder.access(page, write);
    });
    return { ...builder.finish(), bytes, lines, skippedLines: skipped };
  } catch (e) {
    builder.abort();
    throw e;
  }
}
