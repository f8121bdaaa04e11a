import * as path from 'path';
import { Argv, CommandModule } from 'yargs';
import { readEventLog, resultFromLog } from '@restorelab/core';
import { ExitError } from '../errors';
import { failureReason } from '../format/failure-reason';
import { renderRunTable, runHeader } from '../format/run-table';
import { precopyLines } from '../format/precopy-lines';
import { JsonArgs, print, printErr, printJson, withJson } from './common-options';

interface ReplayArgs extends JsonArgs {
  log: string;
}

function builder(y: Argv): Argv<ReplayArgs> {
  return withJson(
    y.positional('log', { type: 'string', demandOption: true, describe: 'an event log written by run --log-dir' }),
    'print the run result as JSON (exactly what run --json printed for this run)',
  ) as unknown as Argv<ReplayArgs>;
}

/** Recomputes a run's result from its log alone. */
export async function replayCommand(args: ReplayArgs): Promise<void> {
  const file = path.resolve(args.log);
  const { meta, store } = readEventLog(file);
  const result = resultFromLog(meta, store, file);
  if (args.json) printJson(result);
  else print([runHeader(meta.backend, meta.workload, meta.seed), renderRunTable([result]), ...precopyLines([result])].join('\n'));
  if (!result.verified) {
    printErr(failureReason(store, result));
    throw new ExitError(1);
  }
}

export const replayCommandModule: CommandModule<object, ReplayArgs> = {
  command: 'replay <log>',
  describe: "recompute a run's results from its event log (exit 1 when that run did not verify)",
  builder,
  handler: replayCommand,
};
