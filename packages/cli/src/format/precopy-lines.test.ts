import { runResult } from '../testing/run-result-fixture';
import { precopyLines } from './precopy-lines';

describe('pre-copy lines', () => {
  it('give the dirty set of every round and the switch-over, for the runs that had rounds only', () => {
    const rounds = runResult(
      { strategy: 'hybrid-precopy' },
      { precopy: { rounds: 3, sentPages: 5000, dirtyPages: [900, 300, 120], discardedPages: 140, switchReason: 'max-rounds', sourcePasses: 1.5 } },
    );
    expect(precopyLines([runResult(), rounds])).toEqual([
      'hybrid-precopy: 3 pre-copy rounds sent 5000 pages, dirty pages per round 900 300 120; switch-over (max-rounds) after 1.50 passes of the source phase, 140 pages dropped for post-copy',
    ]);
  });
});
