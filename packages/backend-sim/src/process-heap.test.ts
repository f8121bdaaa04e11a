import { ProcessHeap } from './process-heap';

describe('ProcessHeap', () => {
  it('orders by time, then by process index, and knows the runner-up', () => {
    const h = new ProcessHeap(5);
    h.push(3, 50);
    h.push(1, 20);
    h.push(4, 20);
    h.push(0, 70);
    expect(h.top()).toBe(1);
    expect(h.secondTime()).toBe(20);
    h.retimeTop(60);
    expect(h.top()).toBe(4);
    expect(h.secondTime()).toBe(50);
    const order: number[] = [];
    while (h.size > 0) order.push(h.pop());
    expect(order).toEqual([4, 3, 1, 0]);
    expect(h.top()).toBe(-1);
    expect(h.secondTime()).toBe(Infinity);
  });

  it('matches a sorted order over many random retimes', () => {
    const n = 200;
    const h = new ProcessHeap(n);
    const t = new Float64Array(n);
    let x = 12345;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % 1000;
    for (let i = 0; i < n; i++) h.push(i, (t[i] = next()));
    for (let step = 0; step < 5000; step++) {
      const top = h.top();
      let best = 0;
      for (let i = 1; i < n; i++) if (t[i] < t[best]) best = i;
      expect(top).toBe(best);
      t[top] += next();
      h.retimeTop(t[top]);
    }
  });
});
