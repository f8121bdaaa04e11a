import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '@restorelab/core';
import { Argv, CommandModule } from 'yargs';
import { renderTable } from '../format/table';
import { JsonArgs, print, printJson, withJson } from './common-options';

interface LogTablesArgs extends JsonArgs {
  log: string;
  out: string;
  kind?: string[];
}

/** The runs of a matrix output directory (its logs/<run>.arrow), or undefined when `p` is not a directory. */
function logsOfOutputDir(p: string): { run: string; log: string }[] | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return undefined; // reading it as a log says what is wrong
  }
  if (!st.isDirectory()) return undefined;
  const logs = path.join(p, 'logs');
  const names = fs.existsSync(logs) ? fs.readdirSync(logs).filter((n) => n.endsWith('.arrow')).sort() : [];
  if (names.length === 0) throw new UsageError(`${p} is a directory without matrix logs (logs/*.arrow)`);
  return names.map((n) => ({ run: n.slice(0, -'.arrow'.length), log: path.join(logs, n) }));
}

/** One Arrow file per event kind with named columns, for notebooks (docs/experiments.md). */
export async function runLogTablesCommand(args: LogTablesArgs): Promise<void> {
  // loaded here: apache-arrow costs every other command's start-up
  const { readAnyLog } = await import('../experiment/compare-logs');
  const { kindsByName, writeLogTables } = await import('../experiment/log-tables');
  const kinds = args.kind && args.kind.length > 0 ? kindsByName(args.kind) : undefined;
  const out = path.resolve(args.out);
  // a matrix output directory: every run's log, into out/<run>/
  const runs = logsOfOutputDir(args.log);
  const tables = runs
    ? runs.flatMap((r) => writeLogTables(readAnyLog(r.log), path.join(out, r.run), kinds).map((t) => ({ run: r.run, ...t })))
    : writeLogTables(readAnyLog(args.log), out, kinds);
  if (args.json) printJson(tables);
  else
    print(
      renderTable(
        [
          { header: 'kind', align: 'left' },
          { header: 'rows', align: 'right' },
          { header: 'file', align: 'left' },
        ],
        tables.map((t) => [t.kind, String(t.rows), path.relative(process.cwd(), t.file)]),
      ),
    );
}

export const logTablesCommand: CommandModule<object, LogTablesArgs> = {
  command: 'log-tables <log>',
  describe: 'write one Arrow file per event kind of a log (.rlog or .arrow), its fields as named columns (page, count, cause, latency_ns, ...)',
  builder: (y: Argv) =>
    withJson(
      y
        .positional('log', { type: 'string', demandOption: true, describe: 'an event log (.rlog, or .arrow from a matrix), or a matrix output directory (every run, into --out/<run>/)' })
        .option('out', { type: 'string', demandOption: true, requiresArg: true, describe: 'directory for <Kind>.arrow files' })
        .option('kind', { type: 'string', array: true, requiresArg: true, describe: 'only these kinds, e.g. FaultResolved PagesCopied' }),
      'print the tables written as JSON',
    ) as unknown as Argv<LogTablesArgs>,
  handler: runLogTablesCommand,
};
