import { EventKind, EventStore } from '@restorelab/core';
import { strategyFailureLines } from './strategy-failures';

describe('strategyFailureLines', () => {
  it('gives one line per detached strategy, with its first message line', () => {
    const s = new EventStore();
    s.append(EventKind.FaultRaised, 1000, 1, 0, 0, 0, 0);
    s.append(EventKind.StrategyFailed, 12_345_678, 0, s.intern('next-pages:ahead=2'), s.intern('boom\n    at x'), 0, 0);
    s.append(EventKind.StrategyFailed, 20_000_000, 0, s.intern('leap-trend'), s.intern('bad'), 1, 0);
    expect(strategyFailureLines('next-pages:ahead=2,leap-trend', s)).toEqual([
      'next-pages:ahead=2,leap-trend: strategy next-pages:ahead=2 was detached at 12.3 ms: boom',
      'next-pages:ahead=2,leap-trend: strategy leap-trend was detached at 20.0 ms: bad',
    ]);
    expect(strategyFailureLines('x', new EventStore())).toEqual([]);
  });
});
