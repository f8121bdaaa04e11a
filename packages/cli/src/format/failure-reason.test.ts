import { EventKind, EventStore } from '@restorelab/core';
import { runResult } from '../testing/run-result-fixture';
import { failureReason } from './failure-reason';

function store(events: [kind: number, pid: number, a?: number, b?: number, c?: number][]): EventStore {
  const s = new EventStore();
  events.forEach(([kind, pid, a = 0, b = 0, c = 0], i) => s.append(kind, i, pid, a, b, c, 0));
  return s;
}

describe('failureReason', () => {
  it('counts the pages that differ and names the first', () => {
    const s = store([
      [EventKind.RestoreStarted, 0, 1000, 1, 1024],
      [EventKind.WorkloadStarted, 1, 100],
      [EventKind.PagesVerified, 1, 1024, 448, 0],
      [EventKind.PageMismatch, 1, 64],
      [EventKind.PageMismatch, 1, 65],
    ]);
    const r = runResult({ strategy: 'thp-guard,neighbor-prefetch', verified: false }, { mismatchedPages: 448 });
    expect(failureReason(s, r)).toBe('thp-guard,neighbor-prefetch: 448 pages differ from the image (first at pid 1 page 64)');
  });

  it('names the processes that were never verified', () => {
    const s = store([
      [EventKind.RestoreStarted, 0, 10, 2, 20],
      [EventKind.WorkloadStarted, 1, 5],
      [EventKind.WorkloadStarted, 2, 5],
      [EventKind.PagesVerified, 1, 10, 0, 0],
    ]);
    expect(failureReason(s, runResult({ strategy: 'eager', verified: false }))).toBe(
      'eager: 1 of 2 processes were never verified (pid 2)',
    );
  });

  it('says when no workload ran at all', () => {
    const s = store([[EventKind.RestoreStarted, 0, 10, 1, 10]]);
    expect(failureReason(s, runResult({ verified: false }))).toBe('demand-only: no process ran its workload');
  });
});
