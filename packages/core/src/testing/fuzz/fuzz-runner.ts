import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../../errors/usage-error';
import { Rng } from '../../workloads/random';
import { Mutant } from './mutate';

/** A reader under fuzzing: its valid inputs and how to feed it one case. */
export interface FuzzTarget {
  readonly name: string;
  /** The mutants of its seeds, `n` in all, the same for the same rng. */
  mutants(n: number, rng: Rng): Iterable<Mutant>;
  /** Reads one case the way the CLI would, to the end (metrics included); throws what it throws. */
  read(bytes: Buffer): void;
  /** A refusal that is not a user-facing UsageError but still clean (an internal file's reader). */
  readonly cleanError?: (e: unknown) => boolean;
  /** Its share of the cases asked for, for a reader whose every case costs a process (default 1). */
  readonly share?: number;
}

export interface FuzzFailure {
  readonly target: string;
  readonly index: number;
  readonly how: string;
  readonly why: string;
  /** Where the case's bytes were saved. */
  readonly saved: string;
}

export interface FuzzReport {
  readonly target: string;
  readonly cases: number;
  /** Read without error (a mutation that still is a valid input). */
  readonly accepted: number;
  /** Refused with a one-line error. */
  readonly refused: number;
  readonly failures: readonly FuzzFailure[];
  /** The slowest case, ms, and the growth of the process's peak RSS over the run, MiB. */
  readonly slowestMs: number;
  readonly rssGrowthMiB: number;
}

export interface FuzzOptions {
  readonly cases: number;
  readonly seed: number;
  /** Where failing cases are saved (and the case being read, until it is done). */
  readonly saveDir: string;
  /** A case that makes the process's peak RSS grow more than this over the start is a failure. */
  readonly maxRssGrowthMiB?: number;
  readonly onCase?: (index: number) => void;
}

function maxRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function rssMiB(): number {
  return process.memoryUsage.rss() / (1 << 20);
}

/** Why an error is not a clean refusal, or undefined when it is. */
function unclean(e: unknown, target: FuzzTarget): string | undefined {
  const message = e instanceof Error ? e.message : String(e);
  if (message.includes('\n')) return `a message of several lines: ${JSON.stringify(message.slice(0, 200))}`;
  if (e instanceof UsageError) return undefined;
  if (target.cleanError?.(e)) return undefined;
  const name = e instanceof Error ? e.constructor.name : typeof e;
  return `${name} (not a one-line usage error): ${message.slice(0, 200)}`;
}

/**
 * Feeds a target its mutants one by one. A case fails if it throws anything but a one-line usage
 * error, or makes the peak RSS grow past the bound. Before a case is read its bytes are written to
 * saveDir/<target>-current.bin, so a case that hangs or crashes the process is left there.
 */
export function runFuzz(target: FuzzTarget, opts: FuzzOptions): FuzzReport {
  fs.mkdirSync(opts.saveDir, { recursive: true });
  const current = path.join(opts.saveDir, `${target.name}-current.bin`);
  const bound = opts.maxRssGrowthMiB ?? 200;
  // the peak (a case's transient allocation, in a fresh process) and the current RSS (what a case
  // left allocated, also where an earlier peak hides it)
  const peak0 = maxRssMiB();
  const rss0 = rssMiB();
  const failures: FuzzFailure[] = [];
  let accepted = 0;
  let refused = 0;
  let cases = 0;
  let slowestMs = 0;
  let over = false;
  for (const m of target.mutants(Math.max(1, Math.round(opts.cases * (target.share ?? 1))), new Rng(opts.seed))) {
    const index = cases++;
    opts.onCase?.(index);
    fs.writeFileSync(current, m.bytes);
    const t0 = process.hrtime.bigint();
    let why: string | undefined;
    let threw = false;
    try {
      target.read(m.bytes);
    } catch (e) {
      threw = true;
      why = unclean(e, target);
    }
    slowestMs = Math.max(slowestMs, Number(process.hrtime.bigint() - t0) / 1e6);
    const grown = Math.max(maxRssMiB() - peak0, rssMiB() - rss0);
    // the peak only grows: the case that first crosses the bound is the one to blame
    if (!why && grown > bound && !over) why = `the peak RSS grew by ${grown.toFixed(0)} MiB (bound ${bound})`;
    over ||= grown > bound;
    if (!why && threw) refused++;
    else if (!why) accepted++;
    if (why) {
      const saved = path.join(opts.saveDir, `${target.name}-${index}.bin`);
      fs.copyFileSync(current, saved);
      failures.push({ target: target.name, index, how: m.how, why, saved });
    }
  }
  fs.rmSync(current, { force: true });
  return { target: target.name, cases, accepted, refused, failures, slowestMs, rssGrowthMiB: maxRssMiB() - peak0 };
}
