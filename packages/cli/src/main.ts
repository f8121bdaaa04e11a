import yargs from 'yargs';
import { didYouMean, UsageError } from '@restorelab/core';
import { commands } from './commands';
import { debugEnabled, reportError } from './errors';

function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../package.json') as { version: string }).version;
}

const KNOWN_COMMANDS = commands.map((c) => String(c.command).split(' ')[0]);

/** yargs' message, with an unknown command named as such. */
export function usageMessage(msg: string, argv: readonly string[]): string {
  const first = argv.find((a) => !a.startsWith('-'));
  if (first !== undefined && argv[0] === first && !KNOWN_COMMANDS.includes(first) && msg.startsWith('Unknown argument'))
    return `unknown command '${first}' (commands: ${KNOWN_COMMANDS.join(', ')})${didYouMean(first, KNOWN_COMMANDS)}`;
  // yargs puts the details of some messages (invalid choices) on further lines: keep them on one
  return msg
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
}

/** Parses argv and runs the command; resolves to the exit code. Never throws, never exits. */
export async function main(argv: readonly string[], stderr: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const parser = yargs([...argv])
    .scriptName('restorelab')
    .usage('$0 <command> [options]')
    .command(commands)
    .demandCommand(1, 'no command given (try restorelab --help)')
    .strict()
    .help()
    .alias('h', 'help')
    .version(version())
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .fail((msg: string | undefined, err: Error | undefined) => {
      // yargs' own validation errors (YError) and messages are usage errors; a command's are its own
      if (err && err.name !== 'YError') throw err;
      throw new UsageError(usageMessage(msg ?? err?.message ?? 'bad command line', argv));
    });
  try {
    await parser.parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const report = reportError(e, debugEnabled());
    if (report.text) stderr(report.text + '\n');
    return report.exitCode;
  }
}
