import { IMAGE_LIMITS, MAX_TRACE_ACCESSES, PAGE_SIZE, TraceWriter, UsageError } from '@restorelab/core';
import { LineHandler, LineSplitter } from './line-source';

type LineCounts = { readonly bytes: number; readonly lines: number };

/** Where the migrate marker goes: after an access index, or at a fraction of all accesses. */
export type MigrateAt = { readonly index: number } | { readonly fraction: number };

export interface TraceBuilderOptions {
  readonly out: string;
  readonly name: string;
  readonly pid: number;
  readonly migrateAt?: MigrateAt;
  /** Fold an access to the page of the previous access into it (default true): a trace keeps page transitions. */
  readonly collapse?: boolean;
}

export interface ImportCounts {
  readonly accesses: number;
  readonly writes: number;
  readonly migrateAt: number;
  /** Accesses at or above the top of user space (the vsyscall page), left out. */
  readonly outsideUser: number;
}

const USER_TOP_PAGE = IMAGE_LIMITS.userTop / PAGE_SIZE;

/** Builds one process's trace from accesses and compute time as an importer finds them. */
export class TraceBuilder {
  private readonly writer: TraceWriter;
  private pendingPage = -1;
  private pendingWrite = false;
  private pendingGap = 0;
  private timeNs = 0;
  private emitted = 0;
  private writes = 0;
  private outsideUser = 0;
  private migrateWritten = false;
  private readonly collapse: boolean;

  constructor(private readonly opts: TraceBuilderOptions) {
    this.collapse = opts.collapse !== false;
    this.writer = new TraceWriter(opts.out, { name: opts.name, pageSize: PAGE_SIZE });
    this.writer.process(opts.pid, null);
  }

  /** Compute time before the next access. */
  time(ns: number): void {
    this.timeNs += ns;
  }

  /** An access to virtual page `page`. */
  access(page: number, write: boolean): void {
    if (page >= USER_TOP_PAGE) {
      this.outsideUser++;
      return;
    }
    if (this.collapse && page === this.pendingPage) {
      this.pendingWrite ||= write;
      return;
    }
    if (this.pendingPage >= 0) this.emit();
    this.pendingPage = page;
    this.pendingWrite = write;
    this.pendingGap = this.timeNs;
    this.timeNs = 0;
  }

  /** Writes what is pending, the migrate marker and the end; returns the counts. */
  finish(): ImportCounts {
    if (this.pendingPage >= 0) this.emit();
    const m = this.opts.migrateAt;
    let at = 0;
    if (m && 'fraction' in m) at = Math.round(m.fraction * this.emitted);
    else if (m) {
      if (m.index > this.emitted) throw new UsageError(`--migrate-at ${m.index} is past the trace's ${this.emitted} accesses`);
      at = m.index;
    }
    if (at > 0 && !this.migrateWritten) this.writer.migrate(this.opts.pid, at);
    this.writer.close();
    return { accesses: this.emitted, writes: this.writes, migrateAt: at, outsideUser: this.outsideUser };
  }

  /** Drops the partial output (after an error). */
  abort(): void {
    this.writer.abort();
  }

  private emit(): void {
    const m = this.opts.migrateAt;
    if (m && 'index' in m && this.emitted === m.index && m.index > 0) {
      this.writer.migrate(this.opts.pid, m.index);
      this.migrateWritten = true;
    }
    if (this.emitted === MAX_TRACE_ACCESSES) throw new UsageError(`the trace has more than ${MAX_TRACE_ACCESSES} accesses`);
    this.writer.access(this.opts.pid, this.pendingPage, this.pendingWrite, Math.min(Math.round(this.pendingGap), 0xffffffff));
    this.emitted++;
    if (this.pendingWrite) this.writes++;
  }
}

export interface ImportResult extends ImportCounts {
  readonly bytes: number;
  readonly lines: number;
  readonly skippedLines: number;
}

/** What an importer gives: a line handler feeding `builder`, counting the lines it skips. */
export type LinesInto = (builder: TraceBuilder, skipped: { n: number }) => LineHandler;

/** Runs an import: lines from `read` through the importer into a new trace; the partial file goes on error. */
export async function importLines(opts: TraceBuilderOptions, into: LinesInto, read: (onLine: LineHandler) => Promise<LineCounts>): Promise<ImportResult> {
  const builder = new TraceBuilder(opts);
  const skipped = { n: 0 };
  try {
    const counts = await read(into(builder, skipped));
    return { ...builder.finish(), ...counts, skippedLines: skipped.n };
  } catch (e) {
    builder.abort();
    throw e;
  }
}

/** importLines of bytes in memory (the fuzz tests: the same parser and builder, without the stream). */
export function importBytes(opts: TraceBuilderOptions, into: LinesInto, bytes: Buffer, name: string, what: string): ImportResult {
  const builder = new TraceBuilder(opts);
  const skipped = { n: 0 };
  try {
    const splitter = new LineSplitter(name, what, into(builder, skipped));
    splitter.push(bytes);
    // the last line (no newline after it) is fed by end(), before the trace is finished
    const counts = splitter.end();
    return { ...builder.finish(), ...counts, skippedLines: skipped.n };
  } catch (e) {
    builder.abort();
    throw e;
  }
}
