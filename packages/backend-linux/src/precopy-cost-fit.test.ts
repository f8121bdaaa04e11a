import { EventKind, EventStore, PageFlag } from '@restorelab/core';
import { tinyImage } from '@restorelab/core/testing';
import { firstRoundCalls, fitPrecopyCosts } from './precopy-cost-fit';

// one process: a VMA of 200 content pages, then one of 56 with a zero page at 10
const proc = tinyImage([{ pid: 1, vmas: [200, 56], flags: (p) => (p === 210 ? 0 : PageFlag.Content) }]).processes[0];

/** The rounds a source with these costs would log (round 1 at t 1 ms), its switch-over and drops. */
function logged(call: number, page: number, scan: number, decision: number, accessNs: number, accesses: number): EventStore {
  const s = new EventStore();
  const sends = [255, 40, 20, 10];
  let t = 1_000_000;
  const start = t;
  sends.forEach((sent, i) => {
    const calls = i === 0 ? firstRoundCalls(proc) : sent;
    const ns = scan + calls * call + sent * page;
    t += (i === 0 ? 0 : decision) + ns;
    s.append(EventKind.PrecopyRound, t, 1, i + 1, sent, sends[i + 1] ?? 8, ns);
  });
  const passes = 3;
  s.append(EventKind.SwitchOver, start + passes * accesses * (accessNs + 2000), 1, 4, 9, 0, passes);
  for (let k = 0; k < 5; k++) s.append(EventKind.PagesDiscarded, t + 500_000 + k * 2100, 1, 10 * k, 1, 0, 0);
  return s;
}

describe('fitPrecopyCosts', () => {
  it('counts round 1 sends as runs of content pages in a VMA, 64 pages at a time', () => {
    // 200 = 64+64+64+8; then 10 and 45 around the zero page
    expect(firstRoundCalls(proc)).toBe(4 + 1 + 1);
  });

  it('gives back the costs the rounds were made of', () => {
    const fit = fitPrecopyCosts(logged(500, 2000, 100_000, 300_000, 600, 4096), proc, 4096, 2000)!;
    expect(fit.precopyCallNs).toBeCloseTo(500, 6);
    expect(fit.precopyPageNs).toBeCloseTo(2000, 6);
    expect(fit.scanNs).toBeCloseTo(100_000, 6);
    expect(fit.precopyDecisionNs).toBeCloseTo(300_000, 6);
    expect(fit.sourceAccessNs).toBeCloseTo(600, 6);
    expect(fit.discardRunNs).toBeCloseTo(2100, 6);
  });

  it('has nothing to fit without three rounds and a switch-over', () => {
    const s = new EventStore();
    s.append(EventKind.PrecopyRound, 10, 1, 1, 255, 0, 5);
    s.append(EventKind.SwitchOver, 20, 1, 1, 0, 3, 1);
    expect(fitPrecopyCosts(s, proc, 100, 0)).toBeNull();
  });
});
