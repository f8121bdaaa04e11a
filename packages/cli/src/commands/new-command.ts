import * as fs from 'fs';
import * as path from 'path';
import { Argv, CommandModule } from 'yargs';
import { StrategyRegistry, UsageError } from '@restorelab/core';
import { createContainer } from '../container';
import { packageNameFor, STRATEGY_NAME, strategyScaffold } from '../scaffold/strategy-template';
import { print } from './common-options';

interface NewStrategyArgs {
  name: string;
  dir?: string;
}

function coreVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@restorelab/core/package.json') as { version: string }).version;
}

/** Writes a strategy package into dir (created; must be empty if it exists). Returns the files written. */
export async function scaffoldStrategy(name: string, dir: string): Promise<string[]> {
  if (!STRATEGY_NAME.test(name))
    throw new UsageError(`bad strategy name '${name}': use lowercase letters, digits and '-', starting with a letter`);
  const container = await createContainer();
  if (container.get<StrategyRegistry>(StrategyRegistry).get(name))
    throw new UsageError(`a built-in strategy is already named '${name}': choose another name`);
  if (fs.existsSync(dir) && (!fs.statSync(dir).isDirectory() || fs.readdirSync(dir).length > 0))
    throw new UsageError(`${dir} already exists and is not an empty directory`);
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const f of strategyScaffold(name, coreVersion())) {
    const file = path.join(dir, f.path);
    fs.writeFileSync(file, f.content);
    written.push(file);
  }
  return written;
}

/** A path as one shell word. */
const shellWord = (s: string) => (/^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * How a shell here runs this CLI, and what the scaffold's self-test needs to find it: `restorelab`
 * when that is this CLI on the PATH, else `node <its bin.js>` and RESTORELAB_CLI.
 */
function thisCli(): { command: string; testEnv: string } {
  const bin = fs.realpathSync(process.argv[1] ?? '');
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    try {
      if (dir && fs.realpathSync(path.join(dir, 'restorelab')) === bin) return { command: 'restorelab', testEnv: '' };
    } catch {
      // not there
    }
  }
  return { command: `node ${shellWord(bin)}`, testEnv: `RESTORELAB_CLI=${shellWord(bin)} ` };
}

async function newStrategyCommand(args: NewStrategyArgs): Promise<void> {
  const dir = path.resolve(args.dir ?? packageNameFor(args.name));
  const files = await scaffoldStrategy(args.name, dir);
  const relative = path.relative(process.cwd(), dir);
  const rel = relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? relative : `.${path.sep}${relative}`;
  const cli = thisCli();
  print(
    [
      `created strategy '${args.name}' in ${rel}:`,
      ...files.map((f) => `  ${path.relative(dir, f)}`),
      '',
      'next:',
      `  ${cli.command} run --plugin ${rel} --strategy ${args.name} --strategy demand-only`,
      `  ${cli.testEnv}node ${shellWord(path.join(rel, 'test.js'))}`,
    ].join('\n'),
  );
}

const newStrategy: CommandModule<object, NewStrategyArgs> = {
  command: 'strategy <name>',
  describe: 'scaffold an external strategy package (plain JavaScript, no build step)',
  builder: (y: Argv) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'the strategy name, e.g. next-pages' })
      .option('dir', { type: 'string', requiresArg: true, describe: 'where to create it (default: ./restorelab-strategy-NAME)' }) as unknown as Argv<NewStrategyArgs>,
  handler: newStrategyCommand,
};

export const newCommandModule: CommandModule = {
  command: 'new',
  describe: 'scaffold something new',
  builder: (y: Argv) => y.command(newStrategy).demandCommand(1, 'say what to create: restorelab new strategy NAME'),
  handler: () => undefined,
};
