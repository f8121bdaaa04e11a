import { Rng } from '../../workloads/random';

/** One fuzz case: the bytes and how they were made (kept with a saved failure). */
export interface Mutant {
  readonly how: string;
  readonly bytes: Buffer;
}

const U32_EXTREMES = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const F64_EXTREMES = [NaN, Infinity, -Infinity, -1, 0.5, 2 ** 31, 2 ** 53, 2 ** 64, 1e300, -1e300];

function withU32(seed: Buffer, at: number, v: number): Buffer {
  const b = Buffer.from(seed);
  if (at + 4 <= b.length) b.writeUInt32LE(v >>> 0, at);
  return b;
}

function withF64(seed: Buffer, at: number, v: number): Buffer {
  const b = Buffer.from(seed);
  if (at + 8 <= b.length) b.writeDoubleLE(v, at);
  return b;
}

/**
 * Mutants of a binary file: first the systematic ones (a cut at every region boundary and next to
 * it, every extreme length or count at every field offset), then random ones (bit flips, byte
 * runs, a chunk deleted, duplicated or inserted, an extreme number at a random offset) until `n`.
 * `regions` are offsets where a structure starts; `fields` are offsets of length or count fields.
 */
export function* binaryMutants(seed: Buffer, n: number, rng: Rng, regions: readonly number[] = [], fields: readonly number[] = []): Generator<Mutant> {
  let made = 0;
  const cuts = new Set<number>([0, 1, seed.length - 1]);
  for (const r of regions) for (const d of [-1, 0, 1]) if (r + d >= 0 && r + d < seed.length) cuts.add(r + d);
  for (const at of [...cuts].sort((a, b) => a - b)) {
    if (made++ >= n) return;
    yield { how: `cut at byte ${at}`, bytes: seed.subarray(0, at) };
  }
  for (const at of fields) {
    for (const v of U32_EXTREMES) {
      if (made++ >= n) return;
      yield { how: `u32 ${v} at byte ${at}`, bytes: withU32(seed, at, v) };
    }
  }
  while (made < n) {
    made++;
    const b = Buffer.from(seed);
    const at = b.length > 0 ? rng.below(b.length) : 0;
    switch (rng.below(7)) {
      case 0: {
        const flips = 1 + rng.below(8);
        for (let i = 0; i < flips && b.length > 0; i++) {
          const p = rng.below(b.length);
          b[p] ^= 1 << rng.below(8);
        }
        yield { how: `${flips} bit flips`, bytes: b };
        break;
      }
      case 1: {
        const len = Math.min(b.length - at, 1 + rng.below(16));
        const v = [0, 0xff, rng.below(256)][rng.below(3)];
        b.fill(v, at, at + len);
        yield { how: `${len} bytes of ${v} at byte ${at}`, bytes: b };
        break;
      }
      case 2: {
        const len = 1 + rng.below(64);
        yield { how: `${len} bytes deleted at byte ${at}`, bytes: Buffer.concat([b.subarray(0, at), b.subarray(at + len)]) };
        break;
      }
      case 3: {
        const len = 1 + rng.below(256);
        yield { how: `${len} bytes duplicated at byte ${at}`, bytes: Buffer.concat([b.subarray(0, at + len), b.subarray(at)]) };
        break;
      }
      case 4: {
        const v = U32_EXTREMES[rng.below(U32_EXTREMES.length)];
        const to = fields.length > 0 && rng.below(2) === 0 ? fields[rng.below(fields.length)] : at & ~3;
        yield { how: `u32 ${v} at byte ${to}`, bytes: withU32(b, to, v) };
        break;
      }
      case 5: {
        const v = F64_EXTREMES[rng.below(F64_EXTREMES.length)];
        const to = at & ~7;
        yield { how: `f64 ${v} at byte ${to}`, bytes: withF64(b, to, v) };
        break;
      }
      default: {
        const at2 = rng.below(Math.max(1, b.length));
        yield { how: `cut at byte ${at2}`, bytes: b.subarray(0, at2) };
      }
    }
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const JSON_EXTREMES: Json[] = [-1, 0, 0.5, 1e300, -1e300, 2 ** 31, 2 ** 53, 2 ** 64, 4294971392, '', 'x', '0x10', null, true, [], {}];

/** Every path in a JSON value: arrays and objects are walked, each step a key or an index. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.slice(0, 64).forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k], [...at, k], out);
  return out;
}

function clone(v: Json): Json {
  return JSON.parse(JSON.stringify(v)) as Json;
}

/**
 * Mutants of a JSON document: structural ones (a key deleted, a value replaced by an extreme or a
 * value of another type, an array element repeated many times, deep nesting), each after a parse,
 * and byte-level ones of the text (binaryMutants), in turn.
 */
export function* jsonMutants(text: string, n: number, rng: Rng, format: (v: unknown) => string = (v) => JSON.stringify(v)): Generator<Mutant> {
  const doc = JSON.parse(text) as Json;
  const all = paths(doc);
  const bytes = binaryMutants(Buffer.from(text), n, rng);
  for (let made = 0; made < n; made++) {
    if (made % 3 === 2) {
      const m = bytes.next();
      if (!m.done) {
        yield m.value;
        continue;
      }
    }
    const root = clone(doc);
    const path = all[rng.below(all.length)];
    const op = rng.below(5);
    if (path.length === 0) {
      yield { how: 'whole document replaced', bytes: Buffer.from(format(JSON_EXTREMES[rng.below(JSON_EXTREMES.length)])) };
      continue;
    }
    let parent = root as Record<string | number, Json>;
    for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, Json>;
    const key = path[path.length - 1];
    const where = path.join('/');
    if (op === 0) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      yield { how: `deleted /${where}`, bytes: Buffer.from(format(root)) };
    } else if (op === 1 || op === 2) {
      const v = JSON_EXTREMES[rng.below(JSON_EXTREMES.length)];
      parent[key] = v;
      yield { how: `/${where} = ${JSON.stringify(v)}`, bytes: Buffer.from(format(root)) };
    } else if (op === 3 && Array.isArray(parent)) {
      const times = [2, 100, 10000][rng.below(3)];
      parent.splice(key as number, 0, ...new Array<Json>(times).fill(parent[key as number]));
      yield { how: `/${where} repeated ${times} times`, bytes: Buffer.from(format(root)) };
    } else {
      const depth = [10, 1000, 100000][rng.below(3)];
      const nested = '['.repeat(depth) + ']'.repeat(depth);
      const marker = '"\u0000nested"';
      parent[key] = '\u0000nested';
      yield { how: `/${where} nested ${depth} deep`, bytes: Buffer.from(format(root).replace(marker, nested)) };
    }
  }
}
