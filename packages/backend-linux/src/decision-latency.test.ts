import { CopyCause, CopyPriority, EventKind, EventStore, RejectReason } from '@restorelab/core';
import { chainTimes, decisionLatencies } from './decision-latency';

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

  test("a background chain's hand-offs: answer to the command reacting to it, command landed to its answer", () => {
    const s = new EventStore();
    const bg = CopyCause.Background;
    s.append(EventKind.CopyLanded, 1000, 1, 0, 1, -1, -1); // seq 0: the first, reacting to nothing
    s.append(EventKind.PagesCopied, 11000, 1, 0, 1, bg, 1); // 1: served 10 us after it landed
    s.append(EventKind.CopyLanded, 20000, 1, 1, 1, 1, 2); // 2: 9 us after the answer it reacts to
    s.append(EventKind.CopyRejected, 32000, 1, 1, 1, RejectReason.Eexist, bg); // 3: 12 us
    s.append(EventKind.CopyLanded, 43000, 1, 2, 1, 3, 4); // 4: 11 us
    s.append(EventKind.PagesCopied, 57000, 1, 2, 1, bg, 1); // 5: 14 us
    // a demand copy is no answer of the copier's
    s.append(EventKind.PagesCopied, 58000, 1, 9, 1, CopyCause.Demand, 1);
    s.append(EventKind.CopyLanded, 60000, 1, 10, 1, 6, 7);
    expect(chainTimes(s)).toEqual({ answerToCommandNs: 10000, landedToAnswerNs: 12000 });
    expect(chainTimes(new EventStore())).toEqual({ answerToCommandNs: NaN, landedToAnswerNs: NaN });
  });
});
