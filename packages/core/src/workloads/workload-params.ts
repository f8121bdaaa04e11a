import { UsageError } from '../errors/usage-error';
import { ParamSchema, ParamSpec, StrategyParams } from '../spec/param-schema';

/** The value of `accesses` / `sourceAccesses` that means "derive it" (see each description). */
export const AUTO = -1;

const MAX_PAGES = 1 << 26;
const MAX_ACCESSES = 100_000_000;

export interface CommonDefaults {
  /** A number, or 'pages': accesses default to the page count. */
  readonly accesses?: number | 'pages';
  readonly vmas?: number;
  readonly gapNs?: number;
  readonly writeFraction?: number;
}

/**
 * The parameters every generator takes, then its own, then the seed, in that order (the order of
 * the canonical spec).
 */
export function workloadSchema(own: ParamSchema, defaults: CommonDefaults = {}): ParamSchema {
  const accessesAuto = defaults.accesses === 'pages';
  const accesses: ParamSpec = accessesAuto
    ? { type: 'integer', default: AUTO, minimum: AUTO, maximum: MAX_ACCESSES, description: 'restore-phase accesses per process (-1: one per page)' }
    : { type: 'integer', default: defaults.accesses ?? 100000, minimum: 0, maximum: MAX_ACCESSES, description: 'restore-phase accesses per process' };
  return {
    pages: { type: 'integer', default: 16384, minimum: 1, maximum: MAX_PAGES, description: 'pages per process' },
    accesses,
    vmas: { type: 'integer', default: defaults.vmas ?? 4, minimum: 1, maximum: 4096, description: 'VMAs the pages are split into (2 MiB aligned, 2 MiB apart)' },
    gapNs: { type: 'integer', default: defaults.gapNs ?? 200, minimum: 0, maximum: 0xffffffff, description: 'compute time before each access, ns' },
    writeFraction: { type: 'number', default: defaults.writeFraction ?? 0.3, minimum: 0, maximum: 1, description: 'fraction of accesses that write' },
    zeroFraction: { type: 'number', default: 0, minimum: 0, maximum: 1, description: 'fraction of pages that are zero pages in the image' },
    sourceAccesses: {
      type: 'integer',
      default: AUTO,
      minimum: AUTO,
      maximum: MAX_ACCESSES,
      description: 'source-side accesses before the migrate marker, same distribution (-1: accesses/2)',
    },
    ...own,
    seed: { type: 'integer', default: 1, minimum: 0, maximum: 0xffffffff, description: 'random seed' },
  };
}

export interface CommonParams {
  readonly pages: number;
  readonly accesses: number;
  readonly sourceAccesses: number;
  readonly vmas: number;
  readonly gapNs: number;
  readonly writeFraction: number;
  readonly zeroFraction: number;
  readonly seed: number;
}

/** A numeric parameter (resolveParams has already typed and range-checked it). */
export function num(params: StrategyParams, key: string): number {
  const v = params[key];
  if (typeof v !== 'number') throw new Error(`workload parameter '${key}' is missing or not a number`);
  return v;
}

/** A string parameter ('' when it is not set). */
export function str(params: StrategyParams, key: string): string {
  const v = params[key];
  return typeof v === 'string' ? v : '';
}

/** The common parameters with the automatic values worked out. Throws UsageError. */
export function readCommon(params: StrategyParams, owner: string): CommonParams {
  const pages = num(params, 'pages');
  const vmas = num(params, 'vmas');
  if (vmas > pages) throw new UsageError(`workload ${owner}: parameter 'vmas' (${vmas}) must not exceed 'pages' (${pages})`);
  const a = num(params, 'accesses');
  const accesses = a === AUTO ? pages : a;
  const s = num(params, 'sourceAccesses');
  return {
    pages,
    accesses,
    sourceAccesses: s === AUTO ? Math.floor(accesses / 2) : s,
    vmas,
    gapNs: num(params, 'gapNs'),
    writeFraction: num(params, 'writeFraction'),
    zeroFraction: num(params, 'zeroFraction'),
    seed: num(params, 'seed'),
  };
}
