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

/** `<backend>-<workload-name>-<strategy stack sanitized>-<seed>.rlog` */
export function logFileName(backend: string, workloadName: string, stack: string, seed: number): string {
  return `${sanitizeName(backend)}-${sanitizeName(workloadName)}-${sanitizeStack(stack)}-${seed}.rlog`;
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
