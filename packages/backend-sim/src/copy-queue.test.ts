import { CopyQueue } from './copy-queue';

describe('CopyQueue', () => {
  it('admits commands when they arrive and serves them by priority, FIFO within one', () => {
    const q = new CopyQueue();
    q.submit(0, 10, 1, 3, 2, 100);
    q.submit(0, 20, 1, 1, 1, 100);
    q.submit(0, 30, 1, 1, 0, 150);
    q.submit(0, 40, 1, 1, 1, 150);
    expect(q.nextArrival()).toBe(100);
    q.admit(99);
    expect(q.take()).toBe(-1);
    q.admit(100);
    expect(q.nextArrival()).toBe(150);
    expect(q.take()).toBe(1);
    q.admit(200);
    expect(q.nextArrival()).toBe(Infinity);
    expect([q.take(), q.take(), q.take(), q.take()]).toEqual([2, 3, 0, -1]);
  });

  it('grows past its initial capacity and drains what is left in serving order', () => {
    const q = new CopyQueue();
    for (let i = 0; i < 5000; i++) q.submit(i % 3, i, 1, 1, i % 3, i < 2500 ? 0 : 1e9);
    q.admit(0);
    expect(q.page[4999]).toBe(4999);
    const drained: number[] = [];
    q.drain((i) => drained.push(i));
    expect(drained.length).toBe(5000);
    expect(drained.slice(0, 3)).toEqual([0, 3, 6]);
    expect(drained.slice(2500)).toEqual(Array.from({ length: 2500 }, (_, i) => 2500 + i));
  });
});
