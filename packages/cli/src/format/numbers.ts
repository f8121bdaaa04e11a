/** Fixed decimals; '-' for a missing value. */
export function fixed(n: number | null | undefined, decimals: number): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return n.toFixed(decimals);
}

/** A ratio 0..1 as a percentage with one decimal; '-' when not defined. */
export function percent(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '-';
  return `${(r * 100).toFixed(1)}%`;
}

export function nsToMs(ns: number): number {
  return ns / 1e6;
}

export function nsToUs(ns: number): number {
  return ns / 1e3;
}

export function bytesToMiB(bytes: number): number {
  return bytes / (1024 * 1024);
}
