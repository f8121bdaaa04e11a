import { EventKind } from '../events/event-kind';
import { EventStore } from '../events/event-store';
import { primeEventPath } from './prime-event-path';
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
