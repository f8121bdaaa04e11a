import { PageFlag, PrefillSource, Strategy } from '@restorelab/core';
import { defaultCostModel } from './cost-model';
import { attached, events, generated, handWorkload, ofKind, simulate, trail } from './__fixtures__/hand-made';

const m = defaultCostModel;
const onePageFault = m.faultOverheadNs + m.copyCallNs + m.faultCopyPageNs;

describe('startup protocol', () => {
  const workload = handWorkload([
    { pid: 1, vmas: [8, 8], flags: (i) => PageFlag.Content | (i < 4 ? PageFlag.Precopied : 0), accesses: [0, 4, 9] },
    { pid: 2, parent: 1, vmas: [8, 8], flags: (i) => PageFlag.Content | (i < 6 ? PageFlag.SharedWithParent : 0), accesses: [1, 5] },
  ]);
  const planner: Strategy = {
    plan(ctx) {
      ctx.adviseBeforeFill(1, 0, 'nohugepage');
      ctx.adviseAfterRegister(1, 0, 'hugepage');
      ctx.precopy({ pid: 1, page: 6, count: 6 });
      ctx.precopy({ pid: 2, page: 12, count: 2 });
    },
  };

  it('emits the plan steps in protocol order, each at the end of its cost', async () => {
    const { store } = await simulate(workload, [attached('planner', planner)]);
    const evs = events(store);
    const started = evs.findIndex((e) => e.kind === 'WorkloadStarted');
    const head = evs.slice(0, started + 2).map(({ kind, t, pid, a, b, c, d }) => [kind, t, pid, a, b, c, d]);
    const fork = m.madviseNs + 4 * m.prefillPageNs + m.forkNs;
    const reg1 = fork + 2 * m.registerVmaNs;
    const pre1 = reg1 + m.madviseNs + (m.copyCallNs + 2 * m.copyPageNs);
    const pre2 = pre1 + m.copyCallNs + 4 * m.copyPageNs;
    const reg2 = pre2 + 2 * m.registerVmaNs;
    const go = reg2 + m.copyCallNs + 2 * m.copyPageNs;
    expect(head).toEqual([
      ['RestoreStarted', 0, 0, 28, 2, 32, 0],
      ['StrategyAttached', 0, 0, store.intern('planner'), 0, 0, 0],
      ['MadviseApplied', m.madviseNs, 1, 0, 2, 1, 0],
      ['PagesPrefilled', m.madviseNs + 4 * m.prefillPageNs, 1, 0, 4, PrefillSource.Image, 0],
      ['ProcessForked', fork, 1, 2, 0, 0, 0],
      ['PagesPrefilled', fork, 2, 0, 4, PrefillSource.Inherited, 0],
      ['VmaRegistered', fork + m.registerVmaNs, 1, 0, 0, 8, 1],
      ['VmaRegistered', reg1, 1, 1, 8, 8, 1],
      ['MadviseApplied', reg1 + m.madviseNs, 1, 0, 1, 1, 0],
      ['PagesCopied', pre1, 1, 6, 2, 2, 1],
      ['PagesCopied', pre2, 1, 8, 4, 2, 1],
      ['VmaRegistered', pre2 + m.registerVmaNs, 2, 0, 0, 8, 1],
      ['VmaRegistered', reg2, 2, 1, 8, 8, 1],
      ['PagesCopied', go, 2, 12, 2, 2, 1],
      ['WorkloadStarted', go, 1, 3, 0, 0, 0],
      ['WorkloadStarted', go, 2, 2, 0, 0, 0],
    ]);
  });

  it('ends every process with its report and the run with RestoreEnded', async () => {
    // no wake after a fault: both processes end right after their faults are served
    const { store, result } = await simulate(workload, [attached('planner', planner)], { faultWakeNs: 0, faultThreadSharesProcessCpu: 0 });
    const evs = events(store);
    const endKinds = ['WorkloadEnded', 'PagesTouched', 'MemorySampled', 'PagesVerified', 'PageMismatch', 'RestoreEnded'];
    const tail = evs.filter((e) => endKinds.includes(e.kind));
    // both fault on their second access at the same time: pid 1 raised first, is served first, ends first
    expect(trail(tail)).toEqual([
      'WorkloadEnded:1',
      'PagesTouched:1',
      'PagesTouched:1',
      'PagesTouched:1',
      'MemorySampled:1',
      'PagesVerified:1',
      'WorkloadEnded:2',
      'PagesTouched:2',
      'PagesTouched:2',
      'MemorySampled:2',
      'PagesVerified:2',
      'RestoreEnded:0',
    ]);
    expect(evs[evs.length - 1].kind).toBe('RestoreEnded');
    const v1 = ofKind(store, 'PagesVerified').find((e) => e.pid === 1)!;
    // present: 0..3 prefilled, 6..11 precopied, 9 was already precopied; 0 and 4 touched (4 faults)
    expect([v1.a, v1.b, v1.c]).toEqual([11, 0, 5]);
    expect(result.verified).toBe(true);
  });
});

describe('demand faults', () => {
  it('demand-only on seq: one fault and one one-page copy per page', async () => {
    const w = generated('seq:pages=300,vmas=3,writeFraction=0');
    const { store, result } = await simulate(w);
    const x = result.metrics;
    expect(x.demandFaults).toBe(300);
    expect(x.pagesCopied).toEqual({ demand: 300, prefetch: 0, precopy: 0, background: 0 });
    expect(x.copyCalls).toBe(300);
    const touched = ofKind(store, 'PagesTouched').reduce((n, e) => n + e.b, 0);
    expect(touched).toBe(300);
    const copies = ofKind(store, 'PagesCopied');
    expect(copies.every((e) => e.c === 0 && e.b === 1 && e.d === 1)).toBe(true);
    expect(new Set(ofKind(store, 'FaultResolved').map((e) => e.b))).toEqual(new Set([onePageFault]));
    expect(x.unrestoredPages).toBe(0);
    expect(x.verifiedPages).toBe(300);
    expect(result.verified).toBe(true);
  });

  it('a forward window of 16 on seq: ceil(pages/17) faults per VMA, never crossing a VMA', async () => {
    const w = generated('seq:pages=250,vmas=3,writeFraction=0');
    const vmaPages = w.image.processes[0].vmas.map((v) => v.pages);
    expect(vmaPages).toEqual([84, 83, 83]);
    const expected = vmaPages.reduce((n, p) => n + Math.ceil(p / 17), 0);
    expect(expected).toBe(15);
    const window: Strategy = { plan: (ctx) => ctx.faultWindow({ forward: 16, backward: 0 }) };
    const { store, result } = await simulate(w, [attached('window', window)]);
    const x = result.metrics;
    expect(x.demandFaults).toBe(expected);
    expect(x.pagesCopied).toEqual({ demand: expected, prefetch: 250 - expected, precopy: 0, background: 0 });
    expect(x.copyCalls).toBe(expected);
    // every fault: demand copy then prefetch of the rest of the window, in the same call
    const evs = events(store).filter((e) => e.kind === 'PagesCopied' || e.kind === 'FaultRaised');
    const firstVma = evs.slice(0, 3 * 5);
    const shape = [];
    for (let f = 0; f < 5; f++) {
      const lo = f * 17;
      shape.push(['FaultRaised', lo, 0], ['PagesCopied', lo, 1, 0, 1], ['PagesCopied', lo + 1, Math.min(16, 83 - lo), 1, 0]);
    }
    expect(
      firstVma.map((e) => (e.kind === 'FaultRaised' ? [e.kind, e.a, e.c] : [e.kind, e.a, e.b, e.c, e.d])),
    ).toEqual(shape);
    const latencies = ofKind(store, 'FaultResolved').map((e) => e.b);
    expect(latencies[0]).toBe(m.faultOverheadNs + m.copyCallNs + 17 * m.faultCopyPageNs);
    // last fault of VMA 0 (pages 68..83) copies 16 pages
    expect(latencies[4]).toBe(m.faultOverheadNs + m.copyCallNs + 16 * m.faultCopyPageNs);
    expect(result.verified).toBe(true);
  });

  it('a backward window stops at the VMA start', async () => {
    const accesses = Array.from({ length: 100 }, (_, i) => 99 - i);
    const w = handWorkload([{ pid: 1, vmas: [40, 60], accesses }]);
    const window: Strategy = { plan: (ctx) => ctx.faultWindow({ forward: 0, backward: 16 }) };
    const { store, result } = await simulate(w, [attached('window', window)]);
    expect(ofKind(store, 'FaultRaised').map((e) => e.a)).toEqual([99, 82, 65, 48, 39, 22, 5]);
    const pre = ofKind(store, 'PagesCopied').filter((e) => e.c === 1);
    expect(pre.map((e) => [e.a, e.b])).toEqual([
      [83, 16],
      [66, 16],
      [49, 16],
      [40, 8],
      [23, 16],
      [6, 16],
      [0, 5],
    ]);
    expect(result.verified).toBe(true);
  });

  it('a window stops at a zero page and at a present page; zero pages are mapped, not copied', async () => {
    const flags = (i: number) => (i === 5 ? 0 : i === 10 ? PageFlag.Content | PageFlag.Precopied : PageFlag.Content);
    const w = handWorkload([{ pid: 1, vmas: [20], flags, accesses: [0, 6, 5, 10, 11] }]);
    const window: Strategy = { plan: (ctx) => ctx.faultWindow({ forward: 16, backward: 16 }) };
    const { store, result } = await simulate(w, [attached('window', window)]);
    const facts = events(store)
      .filter((e) => ['FaultRaised', 'PagesCopied', 'ZeroPageMapped', 'FaultResolved'].includes(e.kind))
      .map((e) => [e.kind, e.a, e.b, e.kind === 'PagesCopied' ? e.c : 0]);
    expect(facts).toEqual([
      ['FaultRaised', 0, 1, 0],
      ['PagesCopied', 0, 1, 0],
      ['PagesCopied', 1, 4, 1],
      ['FaultResolved', 0, m.faultOverheadNs + m.copyCallNs + 5 * m.faultCopyPageNs, 0],
      ['FaultRaised', 6, 1, 0],
      ['PagesCopied', 6, 1, 0],
      ['PagesCopied', 7, 3, 1],
      ['FaultResolved', 6, m.faultOverheadNs + m.copyCallNs + 4 * m.faultCopyPageNs, 0],
      ['FaultRaised', 5, 1, 0],
      ['ZeroPageMapped', 5, 1, 0],
      ['FaultResolved', 5, m.faultOverheadNs + m.zeroPageNs, 0],
      ['FaultRaised', 11, 1, 0],
      ['PagesCopied', 11, 1, 0],
      ['PagesCopied', 12, 8, 1],
      ['FaultResolved', 11, m.faultOverheadNs + m.copyCallNs + 9 * m.faultCopyPageNs, 0],
    ]);
    expect(result.metrics.zeroPages).toBe(1);
    expect(result.verified).toBe(true);
  });

  it('serves faults of concurrent processes one at a time in raised order; a latency is the service, not the wait', async () => {
    const w = handWorkload([
      { pid: 1, vmas: [4], accesses: [0, 1] },
      { pid: 2, parent: 1, vmas: [4], accesses: [0, 1] },
    ]);
    // without the wake, the second faults come while the monitor is still busy (on a CPU of its own)
    const { store } = await simulate(w, [], { faultWakeNs: 0, faultThreadSharesProcessCpu: 0 });
    const f = events(store).filter((e) => e.kind === 'FaultRaised' || e.kind === 'FaultResolved');
    const t0 = ofKind(store, 'WorkloadStarted')[0].t + 100;
    expect(f.map((e) => [e.kind, e.pid, e.t, e.kind === 'FaultResolved' ? e.b : 0])).toEqual([
      ['FaultRaised', 1, t0, 0],
      ['FaultRaised', 2, t0, 0],
      ['FaultResolved', 1, t0 + onePageFault, onePageFault],
      ['FaultRaised', 1, t0 + onePageFault + 100, 0],
      // pid 2 waited for the monitor: blocked longer, but the monitor logs what it saw (read to wake), as on Linux
      ['FaultResolved', 2, t0 + 2 * onePageFault, onePageFault],
      ['FaultRaised', 2, t0 + 2 * onePageFault + 100, 0],
      ['FaultResolved', 1, t0 + 3 * onePageFault, onePageFault],
      ['FaultResolved', 2, t0 + 4 * onePageFault, onePageFault],
    ]);
  });
});

describe('the fault round trip', () => {
  it("on the processes' CPU the fault thread goes first: the other processes wait while it serves a fault", async () => {
    // pid 1 faults at once; pid 2 computes (present pages) meanwhile and ends later by the service
    const w = handWorkload([
      { pid: 1, vmas: [4], accesses: [0] },
      { pid: 2, parent: 1, vmas: [4], accesses: [0, 0, 0, 0], gapNs: 2000, flags: () => PageFlag.Content | PageFlag.Precopied },
    ]);
    const endOf = async (faultThreadSharesProcessCpu: number) => {
      const { store } = await simulate(w, [], { faultWakeNs: 0, processCpus: 0, touchPageNs: 0, faultThreadSharesProcessCpu });
      const started = ofKind(store, 'WorkloadStarted')[0].t;
      return ofKind(store, 'WorkloadEnded').find((e) => e.pid === 2)!.t - started;
    };
    const own = await endOf(0);
    expect(own).toBe(4 * 2000);
    expect(await endOf(1)).toBe(own + onePageFault);
  });

  it('keeps the process blocked for the wake the monitor does not see, and logs the monitor latency only', async () => {
    const wake = 7000;
    const w = handWorkload([{ pid: 1, vmas: [4], accesses: [0, 1, 1] }]);
    const { store, result } = await simulate(w, [], { faultWakeNs: wake });
    const t0 = ofKind(store, 'WorkloadStarted')[0].t + 100;
    const f = events(store).filter((e) => e.kind === 'FaultRaised' || e.kind === 'FaultResolved');
    expect(f.map((e) => [e.kind, e.t, e.kind === 'FaultResolved' ? e.b : 0])).toEqual([
      ['FaultRaised', t0, 0],
      ['FaultResolved', t0 + onePageFault, onePageFault],
      ['FaultRaised', t0 + onePageFault + wake + 100, 0],
      ['FaultResolved', t0 + 2 * onePageFault + wake + 100, onePageFault],
    ]);
    expect(result.metrics.serverStallNs).toBe(2 * onePageFault);
    // the process's view: from its access to its wake, logged at its end after PagesTouched
    expect(ofKind(store, 'FaultStalled').map((e) => [e.a, e.b])).toEqual([
      [0, onePageFault + wake],
      [1, onePageFault + wake],
    ]);
    expect(result.metrics.stallNs).toBe(2 * (onePageFault + wake));
    const kinds = events(store).map((e) => e.kind);
    expect(kinds.indexOf('FaultStalled')).toBeGreaterThan(kinds.lastIndexOf('PagesTouched'));
    expect(kinds.lastIndexOf('FaultStalled')).toBeLessThan(kinds.indexOf('MemorySampled'));
    // the last access hits a present page after the second wake and its gap
    expect(result.metrics.workloadNs).toBe(100 + 2 * (onePageFault + wake + 100));
  });
});

describe('an idle monitor', () => {
  it('serves a fault slower the longer it idled, up to faultIdleNs after 100 us', async () => {
    const latencies = async (gapNs: number) => {
      const w = handWorkload([{ pid: 1, vmas: [4], accesses: [0, 1, 2], gapNs }]);
      const { store } = await simulate(w, [], { faultIdleNs: 1000, faultWakeNs: 0 });
      return ofKind(store, 'FaultResolved').map((e) => e.b - onePageFault);
    };
    expect(await latencies(50_000)).toEqual([500, 500, 500]);
    expect(await latencies(200_000)).toEqual([1000, 1000, 1000]);
    expect(await latencies(100)).toEqual([1, 1, 1]);
  });
});

describe('a far fault', () => {
  it('costs faultJumpNs more when it is not within 8 pages of the previous fault of its process', async () => {
    const w = handWorkload([{ pid: 1, vmas: [64], accesses: [0, 1, 9, 18, 40, 39, 20] }]);
    const { store } = await simulate(w, [], { faultJumpNs: 1000 });
    // the first fault has no previous one: far
    expect(ofKind(store, 'FaultResolved').map((e) => [e.a, e.b - onePageFault])).toEqual([
      [0, 1000],
      [1, 0],
      [9, 0],
      [18, 1000],
      [40, 1000],
      [39, 0],
      [20, 1000],
    ]);
  });
});

describe('the cost of running', () => {
  const precopied = (i: number) => PageFlag.Content | (i >= 0 ? PageFlag.Precopied : 0);

  it('charges the first access to a present page, not the later ones', async () => {
    const w = handWorkload([{ pid: 1, vmas: [4], flags: precopied, accesses: [0, 1, 1, 2, 0, 3] }]);
    const plain = (await simulate(w, [], { touchPageNs: 0 })).result.metrics.workloadNs;
    const touched = (await simulate(w, [], { touchPageNs: 700 })).result.metrics.workloadNs;
    expect(plain).toBe(6 * 100);
    expect(touched - plain).toBe(4 * 700);
  });

  it("charges a child's writes to pages it shares with its parent (copy-on-write), once a page", async () => {
    const w = handWorkload([
      { pid: 1, vmas: [4], flags: precopied, accesses: [] },
      { pid: 2, parent: 1, vmas: [4], flags: () => PageFlag.Content | PageFlag.SharedWithParent, accesses: [[0, 'w'], [1, 'w'], [1, 'w'], 2, [3, 'w']] },
    ]);
    const child = async (cowPageNs: number) => {
      const { store } = await simulate(w, [], { cowPageNs, touchPageNs: 0 });
      const started = ofKind(store, 'WorkloadStarted').find((e) => e.pid === 2)!.t;
      return ofKind(store, 'WorkloadEnded').find((e) => e.pid === 2)!.t - started;
    };
    expect(await child(0)).toBe(5 * 100);
    expect((await child(3000)) - (await child(0))).toBe(3 * 3000);
  });

  it('keeps the log in time order when an access costs more than the time to the next event', async () => {
    // pid 1's one access (a first touch) lasts past pid 2's fault and its service
    const w = handWorkload([
      { pid: 1, vmas: [4], flags: precopied, accesses: [0] },
      { pid: 2, parent: 1, vmas: [4], accesses: [0] },
    ]);
    const { store, result } = await simulate(w, [], { touchPageNs: 1_000_000, processCpus: 0, faultThreadSharesProcessCpu: 0 });
    for (let i = 1; i < store.length; i++) expect(store.t[i]).toBeGreaterThanOrEqual(store.t[i - 1]);
    const started = ofKind(store, 'WorkloadStarted')[0].t;
    expect(ofKind(store, 'WorkloadEnded').map((e) => [e.pid, e.t - started])).toEqual([
      [2, 100 + onePageFault],
      [1, 100 + 1_000_000],
    ]);
    expect(result.verified).toBe(true);
  });

  it('stretches the compute of processes that share fewer CPUs than they are', async () => {
    const w = handWorkload([
      { pid: 1, vmas: [4], flags: precopied, accesses: new Array(100).fill(0) },
      { pid: 2, parent: 1, vmas: [4], flags: precopied, accesses: new Array(100).fill(1) },
    ]);
    const workloadNs = async (processCpus: number) => (await simulate(w, [], { processCpus, touchPageNs: 0 })).result.metrics.workloadNs;
    const own = await workloadNs(0);
    const two = await workloadNs(2);
    const one = await workloadNs(1);
    expect(own).toBe(100 * 100);
    expect(two).toBe(own);
    // both run all the time: each at half speed, the first gap at full speed (they start one by one)
    expect(one).toBeGreaterThan(1.95 * own);
    expect(one).toBeLessThanOrEqual(2 * own);
  });
});

describe('precopy', () => {
  it('precopy of everything (eager) leaves no fault, in calls of at most 512 pages', async () => {
    const w = generated('zipf:pages=2000,accesses=5000,vmas=3,seed=3');
    const eager: Strategy = {
      plan(ctx) {
        for (const p of ctx.image.processes) ctx.precopy({ pid: p.pid, page: 0, count: p.totalPages });
      },
    };
    const { store, result } = await simulate(w, [attached('eager', eager)]);
    const x = result.metrics;
    expect(x.demandFaults).toBe(0);
    expect(x.pagesCopied).toEqual({ demand: 0, prefetch: 0, precopy: 2000, background: 0 });
    const vmas = w.image.processes[0].vmas;
    const pre = ofKind(store, 'PagesCopied');
    expect(pre.map((e) => [e.a, e.b, e.c, e.d])).toEqual(vmas.map((v) => [v.firstPage, v.pages, 2, Math.ceil(v.pages / 512)]));
    const copyTime = vmas.reduce((n, v) => n + Math.ceil(v.pages / 512) * m.copyCallNs + v.pages * m.copyPageNs, 0);
    const started = ofKind(store, 'WorkloadStarted')[0].t;
    expect(started).toBe(3 * m.registerVmaNs + copyTime);
    expect(x.copyCalls).toBe(vmas.reduce((n, v) => n + Math.ceil(v.pages / 512), 0));
    expect(result.verified).toBe(true);
  });
});
