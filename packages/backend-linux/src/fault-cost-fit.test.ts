import { CopyCause, EventKind, EventStore } from '@restorelab/core';
import { faultSamples, fitFaultCost } from './fault-cost-fit';

/** What the fault loop emits for one fault: raised, its copies, resolved. */
function fault(s: EventStore, t: number, pid: number, page: number, before: number, after: number, latency: number): void {
  s.append(EventKind.FaultRaised, t, pid, page, pid, 0, 0);
  if (before > 0) s.append(EventKind.PagesCopied, t + latency, pid, page - before, before, CopyCause.Prefetch, 0);
  s.append(EventKind.PagesCopied, t + latency, pid, page, 1, CopyCause.Demand, 1);
  if (after > 0) s.append(EventKind.PagesCopied, t + latency, pid, page + 1, after, CopyCause.Prefetch, 0);
  s.append(EventKind.FaultResolved, t + latency, pid, page, latency, 0, 0);
}

describe('fault cost fit', () => {
  test('counts the pages each fault copied, leaving out faults that copied none', () => {
    const s = new EventStore();
    fault(s, 0, 1, 10, 0, 0, 4000);
    fault(s, 10, 1, 20, 2, 4, 16000);
    s.append(EventKind.PagesCopied, 20, 1, 100, 512, CopyCause.Background, 1); // the copier, not a fault
    s.append(EventKind.FaultRaised, 30, 2, 5, 2, 0, 0);
    s.append(EventKind.ZeroPageMapped, 31, 2, 5, 1, 0, 0);
    s.append(EventKind.FaultResolved, 31, 2, 5, 1000, 0, 0);
    fault(s, 40, 2, 7, 0, 8, 22000);
    expect(faultSamples(s)).toEqual([
      { pages: 1, latencyNs: 4000 },
      { pages: 7, latencyNs: 16000 },
      { pages: 9, latencyNs: 22000 },
    ]);
  });

  test('recovers the fixed and per-page cost of exact samples', () => {
    const samples = [1, 1, 5, 5, 17, 17, 9].map((pages) => ({ pages, latencyNs: 1500 + 2200 * pages }));
    const fit = fitFaultCost(samples);
    expect(fit.fixedNs).toBeCloseTo(1500, 6);
    expect(fit.perPageNs).toBeCloseTo(2200, 6);
    expect(fit.samples).toBe(7);
  });

  test('fits the mean: an outlier raises the fit as it raises the logged sum', () => {
    const samples = [1, 1, 1, 1, 5].map((pages) => ({ pages, latencyNs: 1000 * pages }));
    const withOutlier = [...samples, { pages: 1, latencyNs: 101000 }];
    const sum = (xs: { pages: number; latencyNs: number }[], f: ReturnType<typeof fitFaultCost>) =>
      xs.reduce((a, x) => a + f.fixedNs + f.perPageNs * x.pages, 0);
    const f = fitFaultCost(withOutlier);
    expect(sum(withOutlier, f)).toBeCloseTo(withOutlier.reduce((a, x) => a + x.latencyNs, 0), 3);
  });

  test('refuses what cannot be fitted', () => {
    expect(() => fitFaultCost([])).toThrow('no demand fault');
    expect(() => fitFaultCost([{ pages: 1, latencyNs: 5 }, { pages: 1, latencyNs: 7 }])).toThrow('the same number of pages');
  });
});
