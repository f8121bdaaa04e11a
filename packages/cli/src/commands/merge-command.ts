import * as path from 'path';
import { Argv, CommandModule } from 'yargs';
import { print, printErr } from './common-options';

interface MergeArgs {
  dirs: string[];
  out: string;
  report: boolean;
}

function builder(y: Argv): Argv<MergeArgs> {
  return y
    .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'output directories of matrix --shard runs' })
    .option('out', { type: 'string', requiresArg: true, demandOption: true, describe: 'the merged output directory' })
    .option('report', { type: 'boolean', default: true, describe: 'write report.html (--no-report: results only)' }) as unknown as Argv<MergeArgs>;
}

export async function runMergeCommand(args: MergeArgs): Promise<void> {
  const { mergeShards } = await import('../experiment/merge-shards');
  const outcome = mergeShards(args.dirs, args.out, { report: args.report });
  const rel = path.relative(process.cwd(), outcome.dir) || '.';
  print(`merged ${args.dirs.length} shard${args.dirs.length === 1 ? '' : 's'}: ${outcome.finished}/${outcome.planned} runs in ${rel}`);
  if (outcome.missing > 0) printErr(`note: ${outcome.missing} runs of the experiment are in none of the shards (run the missing shards, then merge again)`);
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <dirs..>',
  describe: 'combine the output directories of matrix --shard runs into one (results, logs, report)',
  builder,
  handler: runMergeCommand,
};

export default mergeCommand;
