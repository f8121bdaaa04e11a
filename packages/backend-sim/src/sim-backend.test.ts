import { Container } from 'inversify';
import { bufferTime, filter, map, mergeMap } from 'rxjs';
import { BackendRegistry, copyPages, coreModule, EventStore, RestoreBackend, RestoreSession, Strategy } from '@restorelab/core';
import { CostModel, defaultCostModel, SimCostModel } from './cost-model';
import { SimBackend } from './sim-backend';
import { simBackendModule } from './sim-backend-module';
import { PROGRESS_EVERY } from './sim-run';
import { attached, generated, ofKind, simulate } from './__fixtures__/hand-made';

const window: Strategy = { plan: (ctx) => ctx.faultWindow({ forward: 4, backward: 2 }) };
/** Every 0.2 ms, prefetch 8 pages after each page that faulted meanwhile. */
const batched: Strategy = {
  attach: (ctx) =>
    ctx.faults$.pipe(
      bufferTime(0.2, ctx.scheduler),
      filter((b) => b.length > 0),
      mergeMap((b) => b.map((f) => copyPages(f.pid, f.page + 5, 8, 'background'))),
      filter((c) => c.page + c.count <= ctx.image.processes.find((p) => p.pid === c.pid)!.totalPages),
    ),
};

describe('SimBackend', () => {
  it('is deterministic: the same workload and strategies give identical event columns', async () => {
    const w = generated('forktree:procs=3,pages=2048,accesses=6000,seed=7');
    const run = () => simulate(w, [attached('window', window), attached('batched', batched)]);
    const a = (await run()).store;
    const b = (await run()).store;
    expect(a.length).toBeGreaterThan(1000);
    expect(b.length).toBe(a.length);
    for (const col of ['t', 'kind', 'pid', 'a', 'b', 'c', 'd'] as const) {
      expect(Buffer.from(b[col].buffer, 0, b.length * b[col].BYTES_PER_ELEMENT).equals(Buffer.from(a[col].buffer, 0, a.length * a[col].BYTES_PER_ELEMENT))).toBe(true);
    }
    expect(ofKind(a, 'ProcessForked').length).toBe(2);
    expect(ofKind(a, 'PagesCopied').some((e) => e.c === 3)).toBe(true);
  });

  it('runs many processes concurrently: every one is verified and the log is in time order', async () => {
    const w = generated('forktree:procs=24,pages=256,seed=5');
    const { store, result } = await simulate(w, [attached('window', window)]);
    expect(ofKind(store, 'PagesVerified').map((e) => e.pid).sort((x, y) => x - y)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(ofKind(store, 'PagesTouched').reduce((n, e) => n + e.b, 0)).toBe(24 * 256);
    let monotonic = true;
    for (let i = 1; i < store.length; i++) if (store.t[i] < store.t[i - 1]) monotonic = false;
    expect(monotonic).toBe(true);
    // the monitor is one resource: fault service intervals never overlap
    const resolved = ofKind(store, 'FaultResolved').map((e) => e.t);
    const gaps = resolved.slice(1).map((t, i) => t - resolved[i]);
    const m = defaultCostModel;
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(m.faultOverheadNs + Math.min(m.zeroPageNs, m.copyCallNs + m.copyPageNs));
    expect(result.verified).toBe(true);
  });

  it('detaches a strategy that throws and still completes and verifies the restore', async () => {
    const w = generated('zipf:pages=1024,accesses=4000,seed=2');
    const throwsInPipe: Strategy = {
      attach: (ctx) =>
        ctx.faults$.pipe(
          map((f, i) => {
            if (i === 2) throw new Error('boom in pipe');
            return copyPages(f.pid, f.page, 1);
          }),
        ),
    };
    const throwsInSubscriber: Strategy = {
      attach: (ctx) => {
        ctx.copies$.subscribe(() => {
          throw new Error('boom in subscriber');
        });
      },
    };
    const throwsInPlan: Strategy = {
      plan: () => {
        throw new Error('boom in plan');
      },
    };
    const { store, result } = await simulate(w, [
      attached('pipe', throwsInPipe),
      attached('subscriber', throwsInSubscriber),
      attached('plan', throwsInPlan),
      attached('window', window),
    ]);
    const failed = ofKind(store, 'StrategyFailed');
    expect(failed.map((e) => [store.string(e.a), store.string(e.b)]).sort()).toEqual([
      ['pipe', 'boom in pipe'],
      ['plan', 'boom in plan'],
      ['subscriber', 'boom in subscriber'],
    ]);
    const pipeFailed = failed.find((e) => store.string(e.a) === 'pipe')!;
    const queued = ofKind(store, 'CopyQueued');
    expect(queued.length).toBeGreaterThan(0);
    expect(queued.every((e) => e.seq < pipeFailed.seq)).toBe(true);
    expect(result.metrics.strategyFailures).toBe(3);
    expect(result.metrics.pagesCopied.prefetch).toBeGreaterThan(0);
    expect(result.verified).toBe(true);
  });

  it('reports progress and honours an abort signal', async () => {
    const w = generated(`uniform:pages=512,accesses=${3 * PROGRESS_EVERY},seed=1`);
    const seen: number[] = [];
    const backend = new SimBackend();
    await backend.run(new RestoreSession(w, [], new EventStore()), { seed: 1, onProgress: (f) => seen.push(f) });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen[seen.length - 1]).toBe(1);
    expect([...seen].sort((x, y) => x - y)).toEqual(seen);

    const ac = new AbortController();
    const session = new RestoreSession(w, [], new EventStore());
    const run = backend.run(session, {
      seed: 1,
      signal: ac.signal,
      onProgress: (f) => {
        if (f > 0 && f < 1) ac.abort();
      },
    });
    await expect(run).rejects.toThrow('aborted');
    ac.abort();
    await expect(backend.run(new RestoreSession(w, [], new EventStore()), { seed: 1, signal: ac.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('describes itself with its cost model', () => {
    const model: CostModel = { ...defaultCostModel, decisionLatencyNs: 7 };
    expect(new SimBackend(model).describe()).toEqual(model);
    expect(new SimBackend().name).toBe('sim');
  });

  it('is bound as a RestoreBackend whose cost model can be rebound', async () => {
    const c = new Container();
    c.loadSync(coreModule, simBackendModule);
    const model: CostModel = { ...defaultCostModel, faultOverheadNs: 1 };
    c.rebindSync<CostModel>(SimCostModel).toConstantValue(model);
    const sim = c.get<BackendRegistry>(BackendRegistry).get('sim');
    expect(sim).toBeInstanceOf(SimBackend);
    expect(sim.describe()).toEqual(model);
    expect(c.getAll<RestoreBackend>(RestoreBackend).filter((b) => b.name === 'sim')).toHaveLength(1);
  });
});
