import { map } from 'rxjs';
import { copyPages, Link, linkAnswerNs, MAX_LINK_REQUEST_PAGES, PAGE_SIZE, Strategy } from '@restorelab/core';
import { defaultCostModel, faultCopyCostNs } from './cost-model';
import { attached, handWorkload, ofKind, simulate } from './__fixtures__/hand-made';

const m = defaultCostModel;
const T0 = m.registerVmaNs;
const LINK: Link = { latencyUs: 200, bandwidth: 125e6, channels: 2 };
/** What fetching n pages in one request costs on LINK. */
const fetchNs = (l: Link, n: number) => linkAnswerNs(l, n * PAGE_SIZE, m.linkRequestNs + n * m.linkPageNs);

describe('the simulated link to a page server', () => {
  it('a demand fault waits for its page to come over the link first: two latencies, its bytes, the ends\' costs', async () => {
    const w = handWorkload([{ pid: 1, vmas: [8], accesses: [0] }]);
    const local = await simulate(w);
    const remote = await simulate(w, [], {}, LINK);
    const [f] = ofKind(remote.store, 'FaultResolved');
    expect(f.b).toBe(m.faultOverheadNs + fetchNs(LINK, 1) + faultCopyCostNs(m, 1));
    expect(f.b - ofKind(local.store, 'FaultResolved')[0].b).toBe(400_000 + 32_768 + m.linkRequestNs + m.linkPageNs);
    expect(remote.result.verified).toBe(true);
  });

  it('gives the same demand faults as a local restore for a deterministic strategy, only later', async () => {
    const accesses = Array.from({ length: 200 }, (_, i) => (i * 37) % 64);
    const w = handWorkload([{ pid: 1, vmas: [32, 32], accesses }]);
    const window: Strategy = { plan: (ctx) => ctx.faultWindow({ forward: 3, backward: 0 }) };
    const local = await simulate(w, [attached('w', window)]);
    const remote = await simulate(w, [attached('w', window)], {}, LINK);
    expect(remote.result.metrics.demandFaults).toBe(local.result.metrics.demandFaults);
    expect(remote.result.metrics.stallNs).toBeGreaterThan(local.result.metrics.stallNs + remote.result.metrics.demandFaults * 400_000);
  });

  it('splits a precopy into requests of at most 512 pages', async () => {
    const w = handWorkload([{ pid: 1, vmas: [1024], accesses: [] }]);
    const eager: Strategy = { plan: (ctx) => ctx.precopy({ pid: 1, page: 0, count: 1024 }) };
    const local = await simulate(w, [attached('eager', eager)]);
    const remote = await simulate(w, [attached('eager', eager)], {}, LINK);
    const end = (o: typeof local) => ofKind(o.store, 'PagesCopied').pop()!.t;
    expect(end(remote) - end(local)).toBe(2 * fetchNs(LINK, MAX_LINK_REQUEST_PAGES));
  });

  it('one channel: a demand fault waits for the background answer in flight; two channels: it does not', async () => {
    // a background copy of 512 pages starts at once; the process faults on a page outside it meanwhile
    const w = handWorkload([{ pid: 1, vmas: [1024], accesses: [1000], gapNs: 50_000 }]);
    const push: Strategy = { attach: (ctx) => ctx.workloadStarted$.pipe(map(() => copyPages(1, 0, 512, 'background'))) };
    const fault = async (l: Link) => ofKind((await simulate(w, [attached('push', push)], { decisionLatencyNs: 0 }, l)).store, 'FaultResolved')[0].b;
    const two = await fault(LINK);
    const one = await fault({ ...LINK, channels: 1 });
    expect(two).toBe(m.faultOverheadNs + fetchNs(LINK, 1) + faultCopyCostNs(m, 1));
    // behind the 2 MiB answer at 1 Gbit/s (16.8 ms) that was in flight when it came
    expect(one - two).toBeGreaterThan(10_000_000);
    expect(one - two).toBeLessThan(fetchNs(LINK, 512));
  });

  it('shared bandwidth: the demand page crosses at half the rate next to the background answer, which ends that much later', async () => {
    // the process runs on (page 1000 again and again) until the background answer is in
    const w = handWorkload([{ pid: 1, vmas: [1024], accesses: Array.from({ length: 600 }, () => 1000), gapNs: 50_000 }]);
    const push: Strategy = { attach: (ctx) => ctx.workloadStarted$.pipe(map(() => copyPages(1, 0, 512, 'background'))) };
    const run = async (l: Link) => (await simulate(w, [attached('push', push)], { decisionLatencyNs: 0 }, l)).store;
    const own = await run(LINK);
    const shared = await run({ ...LINK, sharedBandwidth: true });
    const page = (4096 * 1e9) / LINK.bandwidth;
    // the page shares the link for all of its bytes: twice its own time
    expect(ofKind(shared, 'FaultResolved')[0].b - ofKind(own, 'FaultResolved')[0].b).toBeCloseTo(page, 6);
    const background = (s: typeof own) => ofKind(s, 'PagesCopied').find((e) => e.b === 512)!.t;
    expect(background(shared) - background(own)).toBeCloseTo(page, 6);
  });
});
