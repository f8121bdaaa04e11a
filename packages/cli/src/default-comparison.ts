import { Container } from 'inversify';
import { StrategyRegistry, Workload } from '@restorelab/core';
import { comparisonSet } from '@restorelab/strategies';

/**
 * The strategies `restorelab run` compares when none is named: every registered strategy (built-in
 * or plugged in), each on its own, except those that say they cannot change anything on the
 * workload (`applies`, e.g. thp-guard without huge-page VMAs).
 */
export function defaultStacks(container: Container, workload: Workload): string[] {
  return comparisonSet(workload, container.get<StrategyRegistry>(StrategyRegistry).all()).map((c) => c.name);
}
