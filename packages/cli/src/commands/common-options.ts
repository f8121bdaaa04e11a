import { Argv } from 'yargs';
import { Placement, PLACEMENTS } from '@restorelab/backend-linux';
import { UsageError } from '@restorelab/core';

export interface ContainerArgs {
  plugin?: string[];
  'cost-model'?: string;
  placement?: Placement;
}

/** --placement: where the linux backend runs the fault thread, the copier and the restored processes. */
export function withPlacement<T>(y: Argv<T>): Argv<T & { placement?: Placement }> {
  return y.option('placement', {
    choices: PLACEMENTS,
    requiresArg: true,
    describe: 'linux backend: shared (fault thread and processes on one CPU, the default), spread (on different CPUs) or none (unpinned)',
  }) as Argv<T & { placement?: Placement }>;
}

/** --plugin (repeatable), --cost-model and --placement: what createContainer needs. */
export function withContainerOptions<T>(y: Argv<T>): Argv<T & ContainerArgs> {
  return withPlacement(y)
    .option('plugin', {
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'load strategies from a plugin: a .js file, a directory or an installed package (repeatable)',
    })
    .option('cost-model', {
      type: 'string',
      requiresArg: true,
      describe: "JSON file overriding the simulator's cost model",
    }) as Argv<T & ContainerArgs>;
}

export function containerOptionsOf(args: ContainerArgs): { plugins: string[]; costModelFile?: string; placement?: Placement } {
  return { plugins: args.plugin ?? [], costModelFile: args['cost-model'], placement: args.placement };
}

export interface JsonArgs {
  json?: boolean;
}

export function withJson<T>(y: Argv<T>, what = 'print JSON instead of a table'): Argv<T & JsonArgs> {
  return y.option('json', { type: 'boolean', default: false, describe: what }) as Argv<T & JsonArgs>;
}

/** Writes to stdout; JSON is always pretty, one document. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

export function printErr(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

/** --seed N: a plain non-negative decimal integer; what was typed is echoed when it is not one. */
export const seedOption = (describe: string) =>
  ({
    type: 'string',
    default: '1',
    requiresArg: true,
    describe,
    coerce: (s: string | number): number => {
      const text = String(s);
      if (!/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(Number(text)))
        throw new UsageError(`--seed must be a non-negative integer, got '${text}'`);
      return Number(text);
    },
  }) as const;
