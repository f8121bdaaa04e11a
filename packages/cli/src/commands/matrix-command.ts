import * as path from 'path';
import { Argv, CommandModule } from 'yargs';
import { UsageError } from '@restorelab/core';
import { ExitError } from '../errors';
import { DEFAULT_MAX_RUNS } from '../experiment/expand-experiment';
import { matrixProgress } from '../experiment/matrix-progress';
import type { UnavailableBackend } from '../experiment/run-matrix';
import { parseShard } from '../experiment/shard';
import { interruptOnSignals } from './interrupt';
import { ContainerArgs, containerOptionsOf, print, printErr, withContainerOptions } from './common-options';

interface MatrixArgs extends ContainerArgs {
  experiment: string;
  out?: string;
  jobs?: number;
  shard?: string;
  report: boolean;
  'skip-unavailable': boolean;
  'max-runs': number;
}

function builder(y: Argv): Argv<MatrixArgs> {
  const withOptions = y
    .positional('experiment', { type: 'string', demandOption: true, describe: 'experiment file (.json, .yaml or .yml)' })
    .option('out', { type: 'string', requiresArg: true, describe: 'output directory (default: runs/<experiment name>)' })
    .option('jobs', { type: 'number', requiresArg: true, describe: 'simulator runs in parallel (default: the number of CPUs)' })
    .option('shard', { type: 'string', requiresArg: true, describe: 'run only slice I of N (e.g. 2/8; auto: from a Slurm job array or, with auto/N, a Kubernetes Indexed Job); combine the slices with restorelab merge' })
    .option('report', { type: 'boolean', default: true, describe: 'write report.html (--no-report: results only)' })
    .option('skip-unavailable', {
      type: 'boolean',
      default: false,
      describe: 'run what this machine can and leave the runs of unavailable backends (e.g. linux without userfaultfd) for a later run',
    })
    .option('max-runs', {
      type: 'number',
      default: DEFAULT_MAX_RUNS,
      requiresArg: true,
      describe: 'refuse an experiment that expands to more runs than this (counted before anything is expanded)',
    })
    .check((a) => {
      if (!(Number.isSafeInteger(a['max-runs']) && a['max-runs'] >= 1)) throw new UsageError(`--max-runs must be a positive integer, got ${a['max-runs']}`);
      if (a.jobs !== undefined && !(Number.isInteger(a.jobs) && a.jobs >= 1)) throw new UsageError(`--jobs must be a positive integer, got ${a.jobs}`);
      return true;
    });
  return withContainerOptions(withOptions) as unknown as Argv<MatrixArgs>;
}

function runs(n: number): string {
  return `${n} run${n === 1 ? '' : 's'}`;
}

function skipLine(u: UnavailableBackend): string {
  return `restorelab: skipping ${runs(u.runs)} on backend ${u.backend}: ${u.reason}`;
}

/** E.g. `18 skipped (backend linux unavailable)`; empty when nothing was skipped. */
function unavailableNote(unavailable: readonly UnavailableBackend[]): string {
  if (unavailable.length === 0) return '';
  const count = unavailable.reduce((n, u) => n + u.runs, 0);
  const names = unavailable.map((u) => u.backend).join(', ');
  return `${count} skipped (backend${unavailable.length > 1 ? 's' : ''} ${names} unavailable)`;
}

export async function runMatrixCommand(args: MatrixArgs): Promise<void> {
  const shard = args.shard !== undefined ? parseShard(args.shard) : undefined;
  // loaded here: the matrix's dependencies (Arrow, ajv, yaml) cost every other command's start-up
  const { runLabel, runMatrix } = await import('../experiment/run-matrix');
  const progress = matrixProgress(process.stderr);
  // Ctrl-C or SIGTERM: finished runs are kept, a second one exits at once
  const interrupt = interruptOnSignals(() => {
    progress.stop();
    return '\nrestorelab: stopping; finished runs are kept (Ctrl-C again to quit at once)';
  });
  let outcome;
  try {
    outcome = await runMatrix({
      file: args.experiment,
      out: args.out,
      jobs: args.jobs,
      shard,
      ...containerOptionsOf(args),
      signal: interrupt.signal,
      progress,
      noReport: !args.report,
      skipUnavailable: args['skip-unavailable'],
      onSkip: (u) => printErr(skipLine(u)),
      maxRuns: args['max-runs'],
    });
  } finally {
    interrupt.release();
  }
  const rel = path.relative(process.cwd(), outcome.dir) || '.';
  const done = outcome.skipped + outcome.ran;
  const parts = [
    `${done}/${outcome.inShard} runs done`,
    outcome.skipped > 0 ? `${outcome.skipped} from before` : '',
    unavailableNote(outcome.unavailable),
    outcome.failed.length > 0 ? `${outcome.failed.length} failed` : '',
    outcome.unverified.length > 0 ? `${outcome.unverified.length} not verified` : '',
  ].filter((p) => p !== '');
  const shardNote = shard ? ` (shard ${shard.index}/${shard.count} of ${outcome.planned} runs)` : '';
  print(`matrix ${outcome.name}${shardNote}: ${parts.join(', ')}`);
  print(`results: ${path.join(rel, 'results.csv')}, ${path.join(rel, 'results.json')}${args.report ? `, ${path.join(rel, 'report.html')}` : ''}`);
  if (outcome.interrupted)
    throw new ExitError(interrupt.exitCode ?? 130, `interrupted: ${done} of ${outcome.inShard} runs are done; run the same command again to resume`);
  for (const f of outcome.failed) printErr(`failed: ${runLabel(f.run)}: ${f.error}`);
  for (const r of outcome.unverified) printErr(`not verified: ${runLabel(r)} (see its log ${path.join(rel, 'logs', r.id + '.arrow')})`);
  if (outcome.failed.length > 0 || outcome.unverified.length > 0) throw new ExitError(1);
}

export const matrixCommand: CommandModule<object, MatrixArgs> = {
  command: 'matrix <experiment>',
  describe: 'run an experiment: every backend x workload x strategy x repetition, with results, Arrow logs and a report',
  builder,
  handler: runMatrixCommand,
};

export default matrixCommand;
