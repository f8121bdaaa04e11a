import { PageFlag, PrecopyRoundsSpec, PrefillSource, Strategy, SwitchReason } from '@restorelab/core';
import { attached, generated, ofKind, simulate } from './__fixtures__/hand-made';

const rounds = (spec: Partial<PrecopyRoundsSpec> = {}): Strategy => ({
  plan: (ctx) => ctx.precopyRounds({ maxRounds: 5, stopWhenNotShrinking: false, ...spec }),
});
/** thp-guard's plan, written out: the backends may not depend on the strategies package. */
const guard: Strategy = {
  plan: (ctx) => {
    for (const p of ctx.image.processes)
      for (const v of p.vmas) {
        if (v.thp !== 'hugepage') continue;
        ctx.adviseBeforeFill(p.pid, v.index, 'nohugepage');
        ctx.adviseAfterRegister(p.pid, v.index, 'hugepage');
      }
  },
};

const HOTCOLD = 'hotcold:pages=4096,accesses=20000,sourceAccesses=4096,gapNs=2000,seed=3';

describe('pre-copy rounds on the simulator', () => {
  it('sends every content page, then each round what the source wrote during the one before, all before registration', async () => {
    const w = generated(HOTCOLD);
    const { store, result } = await simulate(w, [attached('rounds', rounds())]);
    const content = w.image.processes[0].pageFlags.reduce((n, f) => n + (f & PageFlag.Content ? 1 : 0), 0);
    const r = ofKind(store, 'PrecopyRound');
    expect(r.map((e) => e.a)).toEqual([1, 2, 3, 4, 5]);
    expect(r[0].b).toBe(content);
    for (let i = 1; i < r.length; i++) expect(r[i].b).toBe(r[i - 1].c);
    // the hot set's writes: the dirty set shrinks from round 1 to the last
    expect(r[0].c).toBeGreaterThan(100);
    expect(r[r.length - 1].c).toBeLessThan(r[0].c / 2);
    const prefilled = ofKind(store, 'PagesPrefilled').filter((e) => e.c === PrefillSource.PrecopyRound);
    expect(prefilled.reduce((n, e) => n + e.b, 0)).toBe(content);
    const [sw] = ofKind(store, 'SwitchOver');
    expect([sw.a, sw.c]).toEqual([5, SwitchReason.MaxRounds]);
    // dropped: the last round's dirty set and what the source wrote after it
    const discarded = ofKind(store, 'PagesDiscarded');
    expect(discarded.reduce((n, e) => n + e.b, 0)).toBe(sw.b);
    expect(sw.b).toBeGreaterThanOrEqual(r[r.length - 1].c);
    const registered = ofKind(store, 'VmaRegistered')[0];
    for (const e of [...r, sw, ...discarded]) expect(e.seq).toBeLessThan(registered.seq);
    expect(sw.d).toBeGreaterThanOrEqual(1);
    expect(result.verified).toBe(true);
    expect(result.metrics.mismatchedPages).toBe(0);
    expect(result.metrics.precopy).toMatchObject({ rounds: 5, dirtyPages: r.map((e) => e.c), discardedPages: sw.b, switchReason: 'max-rounds' });
    expect(result.metrics.demandFaults).toBeGreaterThan(0);
    expect(result.metrics.demandFaults).toBeLessThanOrEqual(sw.b);
  });

  it('verifies when every round falls inside the source phase first pass (pages sent before their last write are stale)', async () => {
    // a pass of ~40 ms against rounds of a few ms: the switch waits for the pass, so everything sent is stale
    const w = generated('hotcold:pages=4096,accesses=20000,sourceAccesses=16384,gapNs=2000,seed=3');
    const { store, result } = await simulate(w, [attached('rounds', rounds({ maxRounds: 2 }))]);
    const r = ofKind(store, 'PrecopyRound');
    const [sw] = ofKind(store, 'SwitchOver');
    expect(r[r.length - 1].t).toBeLessThan(sw.t - 10_000_000);
    expect(sw.b).toBeGreaterThan(r[r.length - 1].c);
    expect(result.metrics.mismatchedPages).toBe(0);
    expect(result.verified).toBe(true);
  });

  it('lets the session decide after each round, and charges the decision while the source runs on', async () => {
    const w = generated(HOTCOLD);
    const decisionNs = 3_000_000;
    const strategy = rounds({ maxRounds: 9, switchWhen: (rs) => rs.length === 3 });
    const { store } = await simulate(w, [attached('rounds', strategy)], { precopyDecisionNs: decisionNs });
    const r = ofKind(store, 'PrecopyRound');
    expect(r).toHaveLength(3);
    for (let i = 1; i < r.length; i++) expect(r[i].t - r[i].d - r[i - 1].t).toBe(decisionNs);
    expect(ofKind(store, 'SwitchOver')[0].c).toBe(SwitchReason.Strategy);
    const converged = await simulate(generated('hotcold:pages=1024,sourceAccesses=512,writeFraction=0,seed=3'), [attached('rounds', rounds())]);
    expect(ofKind(converged.store, 'PrecopyRound').map((e) => e.c)).toEqual([0]);
    expect(ofKind(converged.store, 'SwitchOver')[0].c).toBe(SwitchReason.Converged);
    expect(ofKind(converged.store, 'PagesDiscarded')).toEqual([]);
  });

  it('seed 001: the pages dropped at the switch-over are holes a THP collapse fills with zeros, unless thp-guard', async () => {
    // the source phase's first pass reads every page, its second writes: round 1 ends clean, the rest is dropped
    const w = generated('thp-predump:pages=4096,sourceAccesses=8192,gapNs=2000,seed=2');
    const bare = await simulate(w, [attached('rounds', rounds())]);
    const dropped = bare.result.metrics.precopy!.discardedPages;
    expect(dropped).toBeGreaterThan(100);
    expect(ofKind(bare.store, 'HugePageCollapsed').length).toBeGreaterThan(0);
    expect(bare.result.metrics.mismatchedPages).toBe(dropped);
    expect(bare.result.verified).toBe(false);
    const guarded = await simulate(w, [attached('guard', guard), attached('rounds', rounds())]);
    expect(ofKind(guarded.store, 'HugePageCollapsed')).toEqual([]);
    expect(guarded.result.metrics.precopy!.discardedPages).toBe(dropped);
    expect(guarded.result.metrics.mismatchedPages).toBe(0);
    expect(guarded.result.verified).toBe(true);
  });
});
