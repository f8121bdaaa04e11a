import { StrategyContribution, Workload } from '@restorelab/core';

/**
 * A StrategyContribution that can tell when it has nothing to do on a workload (thp-guard without
 * huge-page VMAs, cow-aware without a fork tree): such runs are left out of the default comparison.
 * Plug-ins may add `applies` too; it is read by duck typing.
 */
export interface BuiltInStrategy extends StrategyContribution {
  applies?(workload: Workload): boolean;
}

/** False only when the contribution says it cannot change anything on this workload. */
export function appliesTo(contribution: StrategyContribution, workload: Workload): boolean {
  const applies = (contribution as BuiltInStrategy).applies;
  return typeof applies === 'function' ? applies.call(contribution, workload) !== false : true;
}
