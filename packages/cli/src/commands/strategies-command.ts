import { Argv, CommandModule } from 'yargs';
import { StrategyContribution, StrategyRegistry } from '@restorelab/core';
import { createContainer } from '../container';
import { paramList, renderListing } from '../format/param-list';
import { ContainerArgs, containerOptionsOf, JsonArgs, print, printJson, withContainerOptions, withJson } from './common-options';

type StrategiesArgs = ContainerArgs & JsonArgs;

export function describeStrategy(c: StrategyContribution) {
  return { name: c.name, description: c.description, deterministic: c.deterministic, params: paramList(c.params) };
}

export async function strategiesCommand(args: StrategiesArgs): Promise<void> {
  const container = await createContainer(containerOptionsOf(args));
  const all = container.get<StrategyRegistry>(StrategyRegistry).all();
  if (args.json) printJson(all.map(describeStrategy));
  else print(renderListing(all.map((c) => ({ ...c, tags: c.deterministic ? ['deterministic'] : ['timing-dependent'] }))));
}

export const strategiesCommandModule: CommandModule<object, StrategiesArgs> = {
  command: 'strategies',
  describe: 'list the strategies (built-in and from --plugin) with their parameters',
  builder: (y: Argv) => withJson(withContainerOptions(y)) as unknown as Argv<StrategiesArgs>,
  handler: strategiesCommand,
};
