import { filter, map, merge } from 'rxjs';
import { CopyCause, EventKind } from '../events/event-kind';
import { EventStore } from '../events/event-store';
import { Strategy } from '../strategy/strategy';
import { copyPages } from '../strategy/strategy-command';
import { primeEventPath, warmUpStrategies } from './prime-event-path';
import { currentZone } from './strategy-zone';

function count(store: EventStore, kind: number): number {
  let n = 0;
  for (let i = 0; i < store.length; i++) if (store.kind[i] === kind) n++;
  return n;
}

describe('primeEventPath', () => {
  it('runs faults and a command stream through a throwaway session, once per process, and leaves no zone entered', () => {
    const log = primeEventPath();
    const faults = count(log, EventKind.FaultRaised);
    expect(faults).toBeGreaterThan(1000);
    // every fault answered by its command, every command queued (its page was still lazy)
    expect(count(log, EventKind.CopyQueued)).toBe(faults);
    expect(count(log, EventKind.CopyRejected)).toBe(0);
    expect(count(log, EventKind.StrategyFailed)).toBe(0);
    expect(currentZone()).toBeUndefined();
    expect(primeEventPath().length).toBe(0);
  });
});

describe('warmUpStrategies', () => {
  const pushInChunks = (calls: { attached: number }): Strategy => ({
    attach: (ctx) => {
      calls.attached++;
      // a background push: the next chunk when the copier has answered for the last one
      let next = 0;
      const chunk = () => copyPages(1, (next += 64) - 64, 64, 'background', 'background');
      return merge(
        ctx.workloadStarted$.pipe(map(chunk)),
        ctx.copies$.pipe(
          filter((c) => c.cause === CopyCause.Background && c.page + c.count === next),
          map(chunk),
        ),
      );
    },
  });

  it('runs fresh instances of a stack once per key, answering their copies as a backend would', () => {
    const calls = { attached: 0 };
    let made = 0;
    const fresh = () => {
      made++;
      return [{ name: 'push', spec: 'push', instance: pushInChunks(calls) }];
    };
    const log = warmUpStrategies('push-test', fresh);
    expect([made, calls.attached]).toEqual([1, 1]);
    const background = [];
    for (let i = 0; i < log.length; i++) if (log.kind[i] === EventKind.PagesCopied && log.c[i] === CopyCause.Background) background.push(log.b[i]);
    // the push went on while the throwaway workload faulted, chunk after chunk
    expect(background.length).toBeGreaterThan(10);
    expect(count(log, EventKind.CopyLanded)).toBe(count(log, EventKind.CopyQueued));
    expect(count(log, EventKind.StrategyFailed)).toBe(0);
    expect(warmUpStrategies('push-test', fresh).length).toBe(0);
    expect(made).toBe(1);
    expect(currentZone()).toBeUndefined();
  });

  it('detaches a strategy that throws there, and nothing leaves the throwaway session', () => {
    const thrower: Strategy = { attach: (ctx) => ctx.faults$.pipe(map(() => { throw new Error('boom'); })) };
    const log = warmUpStrategies('throw-test', () => [{ name: 'thrower', spec: 'thrower', instance: thrower }]);
    expect(count(log, EventKind.StrategyFailed)).toBe(1);
    expect(currentZone()).toBeUndefined();
  });
});
