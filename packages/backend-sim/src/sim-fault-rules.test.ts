import { map } from 'rxjs';
import { CopyCause, setFaultRules, Strategy, SuccessorTable } from '@restorelab/core';
import { defaultCostModel, faultCopyCostNs, ruleCopyCostNs } from './cost-model';
import { attached, events, handWorkload, ofKind, simulate } from './__fixtures__/hand-made';

const m = defaultCostModel;
const T0 = m.registerVmaNs;

/** Successors of page 0: 5, 6, 2 (5 and 6 in one call); nothing else. */
function table(pages: number): SuccessorTable {
  const offsets = new Uint32Array(pages + 1).fill(3);
  offsets[0] = 0;
  return { offsets, targets: Uint32Array.from([5, 6, 2]) };
}

const planRules = (rules: Parameters<typeof setFaultRules>[1]): Strategy => ({ plan: (ctx) => ctx.faultRules(1, rules) });

describe('fault-time rules in the simulator', () => {
  it('copies the successors before the wake, consecutive pages in one call, and logs them after the fault', async () => {
    const w = handWorkload([{ pid: 1, vmas: [8], accesses: [0, 5, 6, 2, 7] }]);
    const { store, result } = await simulate(w, [attached('succ', planRules({ successors: table(8) }))]);
    const evs = events(store).filter((e) => ['FaultRaised', 'FaultResolved', 'PagesCopied'].includes(e.kind));
    const f0 = T0 + 100;
    // the two rule calls (5-6, then 2), then the demand page's copy, which wakes the process
    const resolved = f0 + m.faultOverheadNs + ruleCopyCostNs(m, 2) + ruleCopyCostNs(m, 1) + faultCopyCostNs(m, 1);
    expect(evs.slice(0, 5).map((e) => [e.kind, e.t, e.a, e.b, e.c])).toEqual([
      ['FaultRaised', f0, 0, 1, 0],
      ['PagesCopied', resolved, 0, 1, CopyCause.Demand],
      ['FaultResolved', resolved, 0, resolved - f0, 0],
      ['PagesCopied', resolved, 5, 2, CopyCause.Prefetch],
      ['PagesCopied', resolved, 2, 1, CopyCause.Prefetch],
    ]);
    // 5, 6 and 2 never fault; 7 does, after the process ran on from the wake
    expect(ofKind(store, 'FaultRaised').map((e) => [e.a, e.t])).toEqual([
      [0, f0],
      [7, resolved + m.faultWakeNs + 100 + 3 * 100 + 3 * m.touchPageNs],
    ]);
    expect(result.metrics.demandFaults).toBe(2);
    expect(result.verified).toBe(true);
  });

  it('walks a stride, skipping pages that are not lazy and stopping at the process end', async () => {
    const w = handWorkload([{ pid: 1, vmas: [4, 8], accesses: [2, 11] }]);
    const { store } = await simulate(w, [attached('stride', planRules({ stride: { stride: 3, count: 8 } }))]);
    // from 2: 5 and 8 (across the VMA boundary: separate calls), 11; then 11 is present
    expect(ofKind(store, 'PagesCopied').filter((e) => e.c === CopyCause.Prefetch).map((e) => [e.a, e.b])).toEqual([
      [5, 1],
      [8, 1],
      [11, 1],
    ]);
    expect(ofKind(store, 'FaultRaised').map((e) => e.a)).toEqual([2]);
  });

  it('replaces the rules when the command lands, and logs FaultRulesSet with what it reacted to', async () => {
    const w = handWorkload([{ pid: 1, vmas: [64], accesses: Array.from({ length: 64 }, (_, i) => i), gapNs: 20_000 }]);
    const s: Strategy = { attach: (ctx) => ctx.workloadStarted$.pipe(map(() => setFaultRules(1, { stride: { stride: 1, count: 3 } }))) };
    const { store, result } = await simulate(w, [attached('later', s)], { decisionLatencyNs: 50_000 });
    const started = ofKind(store, 'WorkloadStarted')[0];
    const set = ofKind(store, 'FaultRulesSet');
    expect(set.map((e) => [e.t, e.a, e.b, e.c, e.d])).toEqual([[started.t + 50_000, 1, 3, 0, started.seq]]);
    // before the rules (faults 20 us apart): page 0 alone; after them, one fault in four pages
    const faults = ofKind(store, 'FaultRaised');
    expect(faults.filter((f) => f.t < set[0].t).map((f) => f.a)).toEqual([0]);
    expect(faults.filter((f) => f.t > set[0].t).map((f) => f.a)).toEqual(Array.from({ length: 16 }, (_, i) => 4 * i + 1));
    expect(result.verified).toBe(true);
  });
});
