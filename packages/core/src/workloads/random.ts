/** 32-bit finalizer of MurmurHash3: a bijection on uint32 that spreads every input bit. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A 32-bit hash of up to four integers (each taken modulo 2^32). */
export function hash32(a: number, b = 0, c = 0, d = 0): number {
  let h = mix32(a ^ 0x9e3779b9);
  h = mix32(h ^ Math.imul(b >>> 0, 0xcc9e2d51) ^ 0x7f4a7c15);
  h = mix32(h ^ Math.imul(c >>> 0, 0x1b873593) ^ 0x94d049bb);
  h = mix32(h ^ Math.imul(d >>> 0, 0xe6546b64) ^ 0x632be5ab);
  return h;
}

/** Stream ids, so that changing one parameter (say writeFraction) leaves the other draws unchanged. */
export const Stream = {
  Layout: 1,
  Zero: 2,
  Pages: 3,
  SourcePages: 4,
  Writes: 5,
  Shared: 6,
  Predump: 7,
  Permutation: 8,
} as const;

/** mulberry32: small, fast, deterministic; period 2^32, enough for any trace we generate. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A generator for one purpose (Stream) of one process of one seed. */
  static for(seed: number, stream: number, pid = 0): Rng {
    return new Rng(hash32(seed, stream, pid));
  }
  u32(): number {
    const a = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** Uniform integer in [0, n), n <= 2^32. */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }
}

/** Fisher-Yates shuffle in place. */
export function shuffle(a: Uint32Array, rng: Rng): Uint32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** 0..n-1 in random order. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return shuffle(a, rng);
}

/** Sattolo's algorithm: next[i] is the successor of i on one random cycle through all n elements. */
export function randomCycle(n: number, rng: Rng): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  // a is now a single cycle in "one-line" form: i -> a[i].
  return a;
}

/**
 * Selection sampling (Knuth's algorithm S): calls pick(i) for exactly k of the indices [0, n),
 * ascending, each k-subset equally likely.
 */
export function selectExactly(n: number, k: number, rng: Rng, pick: (i: number) => void): void {
  let need = Math.min(k, n);
  for (let i = 0; i < n && need > 0; i++) {
    if (rng.below(n - i) < need) {
      pick(i);
      need--;
    }
  }
}
