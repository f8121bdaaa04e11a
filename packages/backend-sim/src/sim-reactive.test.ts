import { delay, filter, from, ignoreElements, interval, map, merge, mergeMap, timer } from 'rxjs';
import { copyPages, CopyPriority, madvise, RejectReason, Strategy } from '@restorelab/core';
import { defaultCostModel } from './cost-model';
import { attached, events, handWorkload, ofKind, simulate } from './__fixtures__/hand-made';

const m = defaultCostModel;
const onePageFault = m.faultOverheadNs + m.copyCallNs + m.faultCopyPageNs;
const oneCopy = m.copyCallNs + m.copyPageNs;
const T0 = m.registerVmaNs; // one VMA: registered at T0
/** With reactive strategies the workload starts once they have handled the startup events. */
const go = (decisionLatencyNs = m.decisionLatencyNs) => T0 + decisionLatencyNs;

/** Copies `count` pages after each faulting page, as a reactive command. */
function nextPages(count: number, offset = 1): Strategy {
  return { attach: (ctx) => ctx.faults$.pipe(map((f) => copyPages(f.pid, f.page + offset, count))) };
}

const copierFacts = (evs: ReturnType<typeof events>) =>
  evs
    .filter((e) => e.kind === 'CopyQueued' || e.kind === 'CopyRejected' || (e.kind === 'PagesCopied' && e.c !== 0))
    .map((e) => [e.kind, e.t, e.a, e.b, e.c, e.d]);

describe('reactive commands', () => {
  it('a prefetch that arrives after the fault: late prefetch, then EEXIST', async () => {
    const w = handWorkload([{ pid: 1, vmas: [8], accesses: [0, 1, ...new Array(1000).fill(0)] }]);
    // the workload lasts past the second copy's arrival
    const { store, result } = await simulate(w, [attached('next', nextPages(1))], { decisionLatencyNs: 50_000 });
    const f0 = go(50_000) + 100;
    const f1 = f0 + onePageFault + m.faultWakeNs + 100;
    expect(copierFacts(events(store))).toEqual([
      ['CopyQueued', f0, 1, 1, 1, CopyPriority.Prefetch],
      ['CopyQueued', f1, 2, 1, 1, CopyPriority.Prefetch],
      // page 1 was faulted in while its copy waited for the decision latency
      ['CopyRejected', f0 + 50_000, 1, 1, RejectReason.Eexist, 1],
      ['PagesCopied', f1 + 50_000 + oneCopy, 2, 1, 1, 1],
    ]);
    const x = result.metrics;
    expect(x.demandFaults).toBe(2);
    expect(x.latePrefetches).toBe(1);
    expect(x.duplicateCopies).toBe(1);
    expect(x.pagesCopied.prefetch).toBe(1);
    expect(x.prefetchAccuracy).toBe(0);
    expect(result.verified).toBe(true);
  });

  it('logs when each command lands: the decision latency after its fault, later behind a queue of events', async () => {
    const w = handWorkload([{ pid: 1, vmas: [64], accesses: [...Array.from({ length: 8 }, (_, i) => 8 * i), 0], gapNs: 50_000 }]);
    const next: Strategy = { attach: (ctx) => ctx.faults$.pipe(map((f) => copyPages(f.pid, f.page + 1, 1))) };
    const lagOf = async (decisionEventNs: number) => {
      const { store, result } = await simulate(w, [attached('next', next)], { decisionLatencyNs: 20_000, decisionEventNs });
      const landed = ofKind(store, 'CopyLanded');
      const queued = ofKind(store, 'CopyQueued');
      const faults = ofKind(store, 'FaultRaised');
      // commands still on their way when the workload ends never land
      expect(landed.map((e) => [e.a, e.c, e.d])).toEqual(faults.slice(0, landed.length).map((f, i) => [f.a + 1, f.seq, queued[i].seq]));
      expect(result.metrics.decisions).toBe(landed.length);
      return landed.map((e, i) => e.t - faults[i].t);
    };
    // the thread keeps up: every command lands the hand-off after its fault
    expect(await lagOf(0)).toEqual(new Array(8).fill(20_000));
    // 30 us an event: faults come faster than the thread handles their events, the lag grows
    const lag = await lagOf(30_000);
    expect(lag.length).toBeGreaterThanOrEqual(3);
    expect(lag[0]).toBeGreaterThan(20_000);
    for (let i = 1; i < lag.length; i++) expect(lag[i]).toBeGreaterThan(lag[i - 1]);
  });

  it("on the copier's CPU the thread handles no event while a call runs (copierSharesEventLoopCpu)", async () => {
    const w = handWorkload([{ pid: 1, vmas: [1024], accesses: new Array(100).fill(600), gapNs: 30_000 }]);
    const s: Strategy = {
      attach: (ctx) =>
        merge(
          ctx.workloadStarted$.pipe(map((e) => copyPages(e.pid, 0, 512, 'background', 'background'))),
          ctx.faults$.pipe(map((f) => copyPages(f.pid, f.page + 1, 1))),
        ),
    };
    const run = async (copierSharesEventLoopCpu: number) => {
      const { store } = await simulate(w, [attached('s', s)], { decisionLatencyNs: 20_000, decisionEventNs: 0, copierSharesEventLoopCpu });
      const [bulk, next] = ofKind(store, 'CopyLanded');
      const fault = ofKind(store, 'FaultRaised')[0];
      const call = ofKind(store, 'PagesCopied').find((e) => e.a === 0)!;
      expect([bulk.a, bulk.b, next.a, fault.a]).toEqual([0, 512, 601, 600]);
      // the fault comes while the 512-page call runs
      expect(fault.t).toBeGreaterThan(bulk.t);
      expect(fault.t + 20_000).toBeLessThan(call.t);
      return { lag: next.t - fault.t, callEnd: call.t - fault.t };
    };
    expect((await run(0)).lag).toBe(20_000);
    const shared = await run(1);
    expect(shared.lag).toBe(shared.callEnd);
  });

  it('a background command that finds the copier asleep waits for its wake-up; one queued behind it does not', async () => {
    const w = handWorkload([{ pid: 1, vmas: [1024], accesses: [1000, ...new Array(50).fill(1000), 900, ...new Array(50).fill(900)], gapNs: 10_000 }]);
    const s: Strategy = {
      attach: (ctx) =>
        merge(
          ctx.workloadStarted$.pipe(mergeMap((e) => from([copyPages(e.pid, 0, 4, 'background', 'background'), copyPages(e.pid, 4, 4, 'background', 'background')]))),
          ctx.faults$.pipe(filter((f) => f.page === 900), map((f) => copyPages(f.pid, 100, 1, 'background', 'background'))),
        ),
    };
    const cost = { decisionLatencyNs: 20_000, decisionEventNs: 0, copierSharesEventLoopCpu: 0, copierWakeNs: 50_000 };
    const { store } = await simulate(w, [attached('s', s)], cost);
    const [first, second, late] = ofKind(store, 'CopyLanded');
    const copied = ofKind(store, 'PagesCopied').filter((e) => e.c === 3);
    const four = m.copyCallNs + 4 * m.copyPageNs;
    expect(copied.map((e) => [e.a, e.t])).toEqual([
      [0, first.t + 50_000 + four],
      [4, first.t + 50_000 + 2 * four],
      // the copier slept again since
      [100, late.t + 50_000 + m.copyCallNs + m.copyPageNs],
    ]);
    expect(second.t).toBe(first.t);
  });

  it('the decision latency delays a reactive copy', async () => {
    const w = handWorkload([{ pid: 1, vmas: [16], accesses: new Array(2000).fill(0) }]);
    const s: Strategy = { attach: (ctx) => ctx.workloadStarted$.pipe(map(() => copyPages(1, 4, 6))) };
    const copied = async (decisionLatencyNs: number) => {
      const { store } = await simulate(w, [attached('s', s)], { decisionLatencyNs });
      expect(ofKind(store, 'CopyQueued').map((e) => e.t)).toEqual([go(decisionLatencyNs)]);
      return ofKind(store, 'PagesCopied').filter((e) => e.a === 4).map((e) => e.t);
    };
    expect(await copied(m.decisionLatencyNs)).toEqual([go() + m.decisionLatencyNs + m.copyCallNs + 6 * m.copyPageNs]);
    expect(await copied(0)).toEqual([go(0) + m.copyCallNs + 6 * m.copyPageNs]);
  });

  it('timers run on virtual time (ms on the scheduler, ns in the log)', async () => {
    const w = handWorkload([{ pid: 1, vmas: [16], accesses: new Array(3000).fill(0), gapNs: 1000 }]);
    const s: Strategy = {
      attach: (ctx) =>
        from([
          timer(1, ctx.scheduler).pipe(map(() => copyPages(1, 4, 2))),
          ctx.workloadStarted$.pipe(delay(0.5, ctx.scheduler), map(() => copyPages(1, 8, 1))),
        ]).pipe(mergeMap((x) => x)),
    };
    const { store } = await simulate(w, [attached('timers', s)]);
    expect(ofKind(store, 'CopyQueued').map((e) => [e.t, e.a, e.b])).toEqual([
      [go() + 500_000, 8, 1],
      [1_000_000, 4, 2],
    ]);
    expect(ofKind(store, 'PagesCopied').filter((e) => e.c === 1).map((e) => [e.t, e.a])).toEqual([
      [go() + 500_000 + m.decisionLatencyNs + oneCopy, 8],
      [1_000_000 + m.decisionLatencyNs + oneCopy + m.copyPageNs, 4],
    ]);
  });

  it('never executes a command inline, even with no decision latency', async () => {
    const w = handWorkload([{ pid: 1, vmas: [8], accesses: [0, ...new Array(300).fill(0)] }]);
    const { store } = await simulate(w, [attached('next', nextPages(1))], { decisionLatencyNs: 0 });
    const evs = events(store).filter((e) => ['FaultRaised', 'CopyQueued', 'PagesCopied', 'FaultResolved'].includes(e.kind));
    expect(evs.map((e) => [e.kind, e.t, e.a])).toEqual([
      ['FaultRaised', T0 + 100, 0],
      ['CopyQueued', T0 + 100, 1],
      // the copier runs beside the monitor: its call ends before the fault's
      ['PagesCopied', T0 + 100 + oneCopy, 1],
      ['PagesCopied', T0 + 100 + onePageFault, 0],
      ['FaultResolved', T0 + 100 + onePageFault, 0],
    ]);
  });

  it("a copier call loses to the monitor's fault window (EEXIST for the claimed pages)", async () => {
    const w = handWorkload([{ pid: 1, vmas: [32], accesses: [0, ...new Array(300).fill(0)] }]);
    const window: Strategy = { plan: (ctx) => ctx.faultWindow({ forward: 4, backward: 0 }) };
    const { store, result } = await simulate(w, [attached('window', window), attached('next', nextPages(8))], {
      decisionLatencyNs: 0,
    });
    const tr = T0 + 100;
    expect(copierFacts(events(store))).toEqual([
      ['CopyQueued', tr, 1, 8, 1, CopyPriority.Prefetch],
      ['CopyRejected', tr, 1, 4, RejectReason.Eexist, 1],
      ['PagesCopied', tr + m.copyCallNs + 4 * m.copyPageNs, 5, 4, 1, 1],
      ['PagesCopied', tr + m.faultOverheadNs + m.copyCallNs + 5 * m.faultCopyPageNs, 1, 4, 1, 0],
    ]);
    expect(result.verified).toBe(true);
  });

  it('serves the queue by priority, FIFO within one, in calls of at most 512 pages', async () => {
    const w = handWorkload([{ pid: 1, vmas: [1300], accesses: new Array(3000).fill(1299), gapNs: 1000 }]);
    const s: Strategy = {
      attach: (ctx) =>
        ctx.workloadStarted$.pipe(
          mergeMap(() =>
            from([
              copyPages(1, 0, 1200, 'background'),
              copyPages(1, 1200, 1, 'prefetch'),
              copyPages(1, 1201, 1, 'urgent'),
              copyPages(1, 1202, 1, 'prefetch'),
            ]),
          ),
        ),
    };
    const { store, result } = await simulate(w, [attached('s', s)]);
    const arrive = go() + m.decisionLatencyNs;
    const calls = ofKind(store, 'PagesCopied').filter((e) => e.c !== 0);
    const c512 = m.copyCallNs + 512 * m.copyPageNs;
    // urgent and prefetch copies leave the copier thread asleep (the strategies' thread copies
    // them on Linux): the background command waits for its wake-up, once
    const bg = arrive + 3 * oneCopy + m.copierWakeNs;
    expect(calls.map((e) => [e.t, e.a, e.b, e.c, e.d])).toEqual([
      [arrive + oneCopy, 1201, 1, 1, 1],
      [arrive + 2 * oneCopy, 1200, 1, 1, 1],
      [arrive + 3 * oneCopy, 1202, 1, 1, 1],
      [bg + c512, 0, 512, 3, 1],
      [bg + 2 * c512, 512, 512, 3, 1],
      [bg + 2 * c512 + m.copyCallNs + 176 * m.copyPageNs, 1024, 176, 3, 1],
    ]);
    expect(result.metrics.pagesCopied.background).toBe(1200);
    expect(result.verified).toBe(true);
  });

  it('applies a reactive madvise after its cost; a bad VMA index fails', async () => {
    const w = handWorkload([{ pid: 1, vmas: [16], accesses: new Array(100).fill(3) }]);
    const s: Strategy = {
      attach: (ctx) => ctx.workloadStarted$.pipe(mergeMap(() => from([madvise(1, 0, 'nohugepage'), madvise(1, 5, 'hugepage')]))),
    };
    const { store } = await simulate(w, [attached('s', s)]);
    expect(ofKind(store, 'MadviseApplied').map((e) => [e.t, e.pid, e.a, e.b, e.c])).toEqual([
      [go() + m.madviseNs, 1, 0, 2, 1],
      [go() + m.madviseNs, 1, 5, 1, 0],
    ]);
  });

  it('commands still queued when every process has ended are rejected with ENOENT before RestoreEnded', async () => {
    const w = handWorkload([{ pid: 1, vmas: [16], accesses: [0, 0, 0] }]);
    const s: Strategy = { attach: (ctx) => ctx.workloadStarted$.pipe(map(() => copyPages(1, 4, 6, 'background'))) };
    const { store, result } = await simulate(w, [attached('s', s)]);
    const evs = events(store);
    const end = evs[evs.length - 1];
    expect(end.kind).toBe('RestoreEnded');
    const rejected = ofKind(store, 'CopyRejected');
    expect(rejected.map((e) => [e.t, e.a, e.b, e.c, e.d])).toEqual([[end.t, 4, 6, RejectReason.Enoent, 3]]);
    expect(result.metrics.unrestoredPages).toBe(15);
    expect(result.verified).toBe(true);
  });

  it('a queued fault whose page a copier call brought in meanwhile is answered EEXIST', async () => {
    const w = handWorkload([
      { pid: 1, vmas: [8], accesses: new Array(200).fill(0) },
      { pid: 2, parent: 1, vmas: [8], accesses: new Array(200).fill(5) },
    ]);
    const s: Strategy = { attach: (ctx) => ctx.workloadStarted$.pipe(filter((e) => e.pid === 2), map(() => copyPages(2, 5, 1))) };
    // the fault thread on a CPU of its own: pid 2 faults while pid 1's fault is served
    const { store, result } = await simulate(w, [attached('s', s)], { decisionLatencyNs: 0, faultThreadSharesProcessCpu: 0 });
    // pid 1 forks pid 2, then both register their VMA
    const t0 = m.forkNs + 2 * m.registerVmaNs;
    const facts = events(store)
      .filter((e) => e.pid === 2 && ['FaultRaised', 'PagesCopied', 'CopyRejected', 'FaultResolved'].includes(e.kind))
      .map((e) => [e.kind, e.t, e.a, e.b, e.c]);
    expect(facts).toEqual([
      ['FaultRaised', t0 + 100, 5, 2, 0],
      // the copier finishes while pid 1's fault keeps the monitor busy
      ['PagesCopied', t0 + oneCopy, 5, 1, 1],
      ['CopyRejected', t0 + 100 + onePageFault + m.faultOverheadNs, 5, 1, RejectReason.Eexist],
      ['FaultResolved', t0 + 100 + onePageFault + m.faultOverheadNs, 5, m.faultOverheadNs, 0],
    ]);
    expect(result.metrics.latePrefetches).toBe(1);
    expect(result.verified).toBe(true);
  });

  it('a copy for a process whose workload has ended is rejected with ENOENT when the copier reaches it', async () => {
    const w = handWorkload([
      { pid: 1, vmas: [8], accesses: [0] },
      { pid: 2, parent: 1, vmas: [8], accesses: new Array(2000).fill(0) },
    ]);
    const s: Strategy = {
      attach: (ctx) => ctx.workloadStarted$.pipe(filter((e) => e.pid === 1), map(() => copyPages(1, 2, 3, 'background'))),
    };
    const { store, result } = await simulate(w, [attached('s', s)]);
    // the workloads start once the strategy has handled the startup events
    const t0 = m.forkNs + 2 * m.registerVmaNs + m.decisionLatencyNs;
    expect(ofKind(store, 'CopyRejected').map((e) => [e.t, e.pid, e.a, e.b, e.c, e.d])).toEqual([
      [t0 + m.decisionLatencyNs, 1, 2, 3, RejectReason.Enoent, 3],
    ]);
    expect(ofKind(store, 'RestoreEnded')[0].t).toBeGreaterThan(t0 + m.decisionLatencyNs);
    expect(result.verified).toBe(true);
  });

  it('detaches a strategy whose timer never lets time pass (interval(0)) instead of hanging', async () => {
    const w = handWorkload([{ pid: 1, vmas: [8], accesses: [0, 1, 2, 3] }]);
    const spin: Strategy = { attach: (ctx) => interval(0, ctx.scheduler).pipe(ignoreElements()) };
    const { store, result } = await simulate(w, [attached('spin', spin), attached('next', nextPages(1))], { decisionLatencyNs: 0 });
    const failed = ofKind(store, 'StrategyFailed');
    expect(failed.map((e) => store.string(e.a))).toEqual(['spin']);
    expect(store.string(failed[0].b)).toMatch(/ran 1000000 times at one instant without the clock moving \(interval\(0\)\?\)/);
    expect(result.metrics.strategyFailures).toBe(1);
    // the other strategy kept working: its copies of the next page saved the later faults
    expect(result.metrics.pagesCopied.prefetch).toBeGreaterThan(0);
    expect(result.verified).toBe(true);
  });
});
