import { didYouMean } from './did-you-mean';

describe('didYouMean', () => {
  const strategies = ['demand-only', 'eager', 'neighbor-prefetch', 'hot-first-precopy', 'successor-prefetch'];
  it('names the closest known name within a typo', () => {
    expect(didYouMean('neighbour-prefetch', strategies)).toBe("; did you mean 'neighbor-prefetch'?");
    expect(didYouMean('eagre', strategies)).toBe("; did you mean 'eager'?");
    expect(didYouMean('zipff', ['seq', 'zipf', 'uniform'])).toBe("; did you mean 'zipf'?");
    expect(didYouMean('rnu', ['run', 'replay'])).toBe("; did you mean 'run'?");
  });
  it('says nothing when no name is close', () => {
    expect(didYouMean('markov', strategies)).toBe('');
    expect(didYouMean('eager', strategies)).toBe('');
  });
});
