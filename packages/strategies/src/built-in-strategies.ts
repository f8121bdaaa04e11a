import { StrategyContribution, Workload } from '@restorelab/core';
import { appliesTo, BuiltInStrategy } from './support/built-in-strategy';
import { cowAware } from './strategies/cow-aware';
import { criuLazy } from './strategies/criu-lazy';
import { demandOnly } from './strategies/demand-only';
import { eager } from './strategies/eager';
import { hotFirstPrecopy } from './strategies/hot-first-precopy';
import { hybridPrecopy } from './strategies/hybrid-precopy';
import { leapTrend } from './strategies/leap-trend';
import { neighborPrefetch } from './strategies/neighbor-prefetch';
import { qemuPostcopy } from './strategies/qemu-postcopy';
import { successorPrefetch } from './strategies/successor-prefetch';
import { thpGuard } from './strategies/thp-guard';

/** Every built-in strategy, in the order comparisons list them: baselines first. */
export const builtInStrategies: readonly BuiltInStrategy[] = [
  demandOnly,
  eager,
  neighborPrefetch,
  hotFirstPrecopy,
  thpGuard,
  cowAware,
  criuLazy,
  qemuPostcopy,
  leapTrend,
  successorPrefetch,
  hybridPrecopy,
];

/** The strategies worth comparing on a workload: all of them but those that cannot change anything there. */
export function comparisonSet<T extends StrategyContribution>(workload: Workload, contributions: readonly T[]): T[] {
  return contributions.filter((c) => appliesTo(c, workload));
}
