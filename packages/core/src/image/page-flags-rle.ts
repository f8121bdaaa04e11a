/** [[count, flags], ...]: runs of equal flag bytes. */
export function encodePageFlags(flags: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  let i = 0;
  while (i < flags.length) {
    const f = flags[i];
    let j = i + 1;
    while (j < flags.length && flags[j] === f) j++;
    runs.push([j - i, f]);
    i = j;
  }
  return runs;
}

/** Decodes runs into `total` flag bytes; returns null when the runs do not add up to `total`. */
export function decodePageFlags(runs: readonly (readonly [number, number])[], total: number): Uint8Array | null {
  const out = new Uint8Array(total);
  let at = 0;
  for (const [count, flags] of runs) {
    if (at + count > total) return null;
    out.fill(flags, at, at + count);
    at += count;
  }
  return at === total ? out : null;
}
