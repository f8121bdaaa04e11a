import { CopyCause, EventKind } from '../events/event-kind';
import { EventStore } from '../events/event-store';
import { RunProfile } from './run-profile';
import { restorePhases } from './restore-phases';

const MS = 1e6;

function eagerLog(): EventStore {
  const s = new EventStore();
  s.append(EventKind.RestoreStarted, 0, 0, 0, 1, 2048, 0);
  s.append(EventKind.VmaRegistered, 5 * MS, 1, 0, 0, 1024, 1);
  s.append(EventKind.VmaRegistered, 6 * MS, 1, 1, 1024, 1024, 1);
  s.append(EventKind.PagesCopied, 8 * MS, 1, 0, 1024, CopyCause.Precopy, 2);
  s.append(EventKind.PagesCopied, 10 * MS, 1, 1024, 1024, CopyCause.Precopy, 2);
  s.append(EventKind.WorkloadStarted, 11 * MS, 1, 2048, 0, 0, 0);
  s.append(EventKind.PagesCopied, 12 * MS, 1, 0, 1, CopyCause.Demand, 1);
  s.append(EventKind.WorkloadEnded, 20 * MS, 1, 2048, 0, 0, 0);
  s.append(EventKind.PagesVerified, 23 * MS, 1, 2048, 0, 0, 0);
  s.append(EventKind.RestoreEnded, 24 * MS, 0, 0, 0, 0, 0);
  return s;
}

describe('restorePhases', () => {
  it('splits an eager restore at its registration, last precopy, workload and verification', () => {
    expect(restorePhases(eagerLog())).toEqual([
      { name: 'runner start and registration', ms: 6 },
      { name: 'precopy', ms: 4, note: '2048 pages in 4 copy calls, 2.10 GB/s' },
      { name: 'until the workload starts', ms: 1 },
      { name: 'workload', ms: 9 },
      { name: 'verification', ms: 3 },
      { name: 'teardown', ms: 1 },
    ]);
  });

  it('leaves out what the run did not have', () => {
    const s = new EventStore();
    s.append(EventKind.RestoreStarted, 0, 0, 0, 1, 10, 0);
    s.append(EventKind.VmaRegistered, 2 * MS, 1, 0, 0, 10, 1);
    s.append(EventKind.WorkloadStarted, 3 * MS, 1, 10, 0, 0, 0);
    s.append(EventKind.WorkloadEnded, 7 * MS, 1, 10, 0, 0, 0);
    s.append(EventKind.RestoreEnded, 8 * MS, 0, 0, 0, 0, 0);
    expect(restorePhases(s).map((p) => [p.name, p.ms])).toEqual([
      ['runner start and registration', 2],
      ['until the workload starts', 1],
      ['workload', 4],
      ['teardown', 1],
    ]);
    expect(restorePhases(new EventStore())).toEqual([]);
  });
});

describe('RunProfile', () => {
  it('keeps phases in the order they were timed, with their notes', async () => {
    const p = new RunProfile();
    expect(p.time('a', () => 42, (v) => `got ${v}`)).toBe(42);
    await p.timeAsync('b', async () => undefined);
    p.add('c', 1.5);
    expect(p.phases.map((x) => [x.name, x.note])).toEqual([
      ['a', 'got 42'],
      ['b', undefined],
      ['c', undefined],
    ]);
    expect(p.phases.every((x) => x.ms >= 0)).toBe(true);
  });
});
