import { Argv, CommandModule } from 'yargs';
import { doctor, formatDoctorReport } from '@restorelab/backend-linux';
import { JsonArgs, print, printJson, withJson } from './common-options';

/** What this machine offers the Linux backend. Exit 0 even when userfaultfd is unavailable. */
export async function doctorCommand(args: JsonArgs): Promise<void> {
  const report = await doctor();
  if (args.json) printJson(report);
  else print(formatDoctorReport(report));
}

export const doctorCommandModule: CommandModule<object, JsonArgs> = {
  command: 'doctor',
  describe: 'check what the Linux backend can use here (userfaultfd, features, THP, addon) and how to fix what is missing',
  builder: (y: Argv) => withJson(y) as unknown as Argv<JsonArgs>,
  handler: doctorCommand,
};
