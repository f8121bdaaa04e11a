import { Progress } from './progress';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (s: string) => writes.push(s) };
}

describe('Progress', () => {
  it('writes nothing when stderr is not a terminal', () => {
    const s = fakeStream(false);
    let now = 0;
    const p = new Progress(s, () => now);
    p.begin('run');
    now = 10_000;
    p.update(0.5);
    p.end();
    expect(s.writes).toEqual([]);
  });

  it('stays quiet for short runs, then redraws in place and erases at the end', () => {
    const s = fakeStream(true);
    let now = 0;
    const p = new Progress(s, () => now);
    p.begin('[1/2] eager');
    now = 100;
    p.update(0.1);
    expect(s.writes).toEqual([]);
    now = 1000;
    p.update(0.42);
    now = 1050;
    p.update(0.43); // too soon to redraw
    now = 1200;
    p.update(1);
    p.end();
    expect(s.writes).toEqual(['\r\x1b[2K[1/2] eager  42%', '\r\x1b[2K[1/2] eager  100%', '\r\x1b[2K']);
  });
});
