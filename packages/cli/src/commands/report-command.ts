import * as path from 'path';
import { Argv, CommandModule } from 'yargs';
import { readPlan } from '../experiment/output-dir';
import { print } from './common-options';

interface ReportArgs {
  dir: string;
}

function builder(y: Argv): Argv<ReportArgs> {
  return y.positional('dir', { type: 'string', demandOption: true, describe: 'a matrix output directory' }) as unknown as Argv<ReportArgs>;
}

/** Rewrites results.csv, results.json and report.html from the runs the directory holds. */
export async function runReportCommand(args: ReportArgs): Promise<void> {
  const plan = readPlan(args.dir);
  const { writeOutputs } = await import('../experiment/write-outputs');
  const table = writeOutputs(args.dir, plan);
  print(`${path.join(args.dir, 'report.html')}: ${table.rows.length}/${plan.runs.length} runs`);
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <dir>',
  describe: 'write report.html (Vega-Lite charts and the results table) for a matrix output directory',
  builder,
  handler: runReportCommand,
};

export default reportCommand;
