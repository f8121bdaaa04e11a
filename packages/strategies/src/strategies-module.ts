import { StrategyContribution } from '@restorelab/core';
import { ContainerModule } from 'inversify';
import { builtInStrategies } from './built-in-strategies';

/** Binds every built-in strategy to the StrategyContribution point collected by core's registry. */
export const strategiesModule = new ContainerModule(({ bind }) => {
  for (const s of builtInStrategies) bind<StrategyContribution>(StrategyContribution).toConstantValue(s);
});
