import { hash32, permutation, randomCycle, Rng, selectExactly } from './random';

describe('random helpers', () => {
  it('Rng is deterministic per seed and floats are in [0, 1)', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    const c = new Rng(6);
    const xs = Array.from({ length: 1000 }, () => a.float());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.float()));
    expect(xs).not.toEqual(Array.from({ length: 1000 }, () => c.float()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('hash32 separates its arguments', () => {
    expect(hash32(1, 2, 3)).not.toBe(hash32(1, 3, 2));
    expect(hash32(1, 2, 3)).toBe(hash32(1, 2, 3));
    expect(hash32(0, 0, 0)).not.toBe(0);
  });

  it('permutation holds every index once', () => {
    const p = permutation(1000, new Rng(1));
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('randomCycle is a single cycle through every element', () => {
    for (const n of [1, 2, 3, 100, 4097]) {
      const next = randomCycle(n, new Rng(n));
      let p = 0;
      let steps = 0;
      do {
        p = next[p];
        steps++;
      } while (p !== 0 && steps <= n);
      expect(steps).toBe(n);
    }
  });

  it('selectExactly picks exactly k distinct indices, ascending', () => {
    const picked: number[] = [];
    selectExactly(1000, 137, new Rng(3), (i) => picked.push(i));
    expect(picked.length).toBe(137);
    expect(picked).toEqual([...picked].sort((x, y) => x - y));
    expect(new Set(picked).size).toBe(137);
    const all: number[] = [];
    selectExactly(5, 9, new Rng(3), (i) => all.push(i));
    expect(all).toEqual([0, 1, 2, 3, 4]);
  });
});
