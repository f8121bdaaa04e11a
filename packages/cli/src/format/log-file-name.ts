import { createHash } from 'crypto';
import { splitStack } from '@restorelab/core';

/**
 * A strategy stack as a file-name part: strategies joined by '+', a strategy's parameters after
 * '_' and separated by '_' (`thp-guard,neighbor-prefetch:window=16,direction=both` →
 * `thp-guard+neighbor-prefetch_window=16_direction=both`); any other unsafe character becomes '_'.
 */
export function sanitizeStack(stack: string): string {
  const parts = splitStack(stack).map((s) =>
    s
      .replace(/\s+/g, '')
      .replace(/[:,]/g, '_')
      .replace(/[^A-Za-z0-9._=-]/g, '_'),
  );
  const joined = parts.join('+');
  return joined === '' ? 'none' : joined;
}

/** A workload's name as a file-name part. */
export function sanitizeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._=-]/g, '_');
  return s === '' ? 'workload' : s;
}

/** The first 8 hex digits of the sha256 of a workload's canonical spec: its parameters in a name. */
export function specHash(spec: string): string {
  return createHash('sha256').update(spec).digest('hex').slice(0, 8);
}

/**
 * `<backend>-<workload name>-<hash of its canonical spec>-<strategy stack sanitized>-<seed>.rlog`,
 * with `-r<k>` before the extension for the k-th of repeated runs: runs that differ in anything,
 * the workload's parameters included, get different names.
 */
export function logFileName(backend: string, workload: { readonly name: string; readonly spec: string }, stack: string, seed: number, repeat?: number): string {
  const r = repeat === undefined ? '' : `-r${repeat}`;
  return `${sanitizeName(backend)}-${sanitizeName(workload.name)}-${specHash(workload.spec)}-${sanitizeStack(stack)}-${seed}${r}.rlog`;
}

/** File names for several runs; a name already taken gets `-2`, `-3`... before the extension. */
export function uniqueLogFileNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    let candidate = n;
    for (let i = 2; seen.has(candidate); i++) candidate = n.replace(/\.rlog$/, `-${i}.rlog`);
    seen.add(candidate);
    return candidate;
  });
}
