import { CopyCause, CopyPriority, EventKind, EventStore, RejectReason } from '@restorelab/core';
import { decisionLatencies } from './decision-latency';

describe('decision latency', () => {
  test('pairs each fault with the command for the page after it, queued or dropped as a duplicate', () => {
    const s = new EventStore();
    s.append(EventKind.FaultRaised, 1000, 1, 10, 1, 0, 0);
    s.append(EventKind.FaultRaised, 2000, 2, 10, 2, 0, 0);
    s.append(EventKind.CopyQueued, 251000, 1, 11, 1, CopyCause.Prefetch, CopyPriority.Prefetch);
    // the copier's own EEXIST is not the strategy's answer
    s.append(EventKind.CopyRejected, 260000, 2, 11, 1, RejectReason.Eexist, CopyCause.Prefetch);
    s.append(EventKind.CopyRejected, 302000, 2, 11, 1, RejectReason.Duplicate, CopyCause.Prefetch);
    // a second command for the same page is not paired again
    s.append(EventKind.CopyQueued, 400000, 1, 11, 1, CopyCause.Prefetch, CopyPriority.Prefetch);
    expect(decisionLatencies(s)).toEqual([250000, 300000]);
  });
});
