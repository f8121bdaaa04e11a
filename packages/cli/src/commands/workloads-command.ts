import { Argv, CommandModule } from 'yargs';
import { WorkloadContribution, WorkloadRegistry } from '@restorelab/core';
import { createContainer } from '../container';
import { paramList, renderListing } from '../format/param-list';
import { ContainerArgs, containerOptionsOf, JsonArgs, print, printJson, withContainerOptions, withJson } from './common-options';

type WorkloadsArgs = ContainerArgs & JsonArgs;

export function describeWorkload(c: WorkloadContribution) {
  return { name: c.name, description: c.description, params: paramList(c.params) };
}

export async function workloadsCommand(args: WorkloadsArgs): Promise<void> {
  const container = await createContainer(containerOptionsOf(args));
  const all = container.get<WorkloadRegistry>(WorkloadRegistry).all();
  if (args.json) printJson(all.map(describeWorkload));
  else print(renderListing(all));
}

export const workloadsCommandModule: CommandModule<object, WorkloadsArgs> = {
  command: 'workloads',
  describe: 'list the workloads (generators, image:DIR, trace:FILE) with their parameters',
  builder: (y: Argv) => withJson(withContainerOptions(y)) as unknown as Argv<WorkloadsArgs>,
  handler: workloadsCommand,
};
