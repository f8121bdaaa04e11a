import { IndexFifo } from './index-fifo';

describe('IndexFifo', () => {
  it('returns what was pushed in order, -1 when empty, across growth and reuse of its space', () => {
    const q = new IndexFifo(4);
    const out: number[] = [];
    for (let i = 0; i < 3; i++) q.push(i);
    out.push(q.shift(), q.shift());
    for (let i = 3; i < 20; i++) q.push(i);
    expect(q.size).toBe(18);
    for (let x = q.shift(); x >= 0; x = q.shift()) out.push(x);
    expect(out).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(q.shift()).toBe(-1);
    expect(q.size).toBe(0);
  });
});
