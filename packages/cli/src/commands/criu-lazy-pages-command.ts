import * as fs from 'fs';
import * as path from 'path';
import { Argv, CommandModule } from 'yargs';
import { criuDumpWorkload, RunResult, StrategyRegistry, UsageError } from '@restorelab/core';
import { CriuLazyPagesBackend } from '@restorelab/backend-linux';
import { createContainer } from '../container';
import { ExitError } from '../errors';
import { logFileName } from '../format/log-file-name';
import { renderRunTable, runHeader } from '../format/run-table';
import { strategyFailureLines } from '../format/strategy-failures';
import { runOne, whyUnavailable } from '../run-one';
import { ContainerArgs, containerOptionsOf, JsonArgs, print, printErr, printJson, seedOption, withContainerOptions, withJson } from './common-options';
import { interruptOnSignals } from './interrupt';

/** What CRIU's own daemon does: each fault's page, and the rest pushed in the background. */
export const CRIU_DAEMON_STACK = 'criu-lazy';

interface CriuLazyPagesArgs extends ContainerArgs, JsonArgs {
  'images-dir': string;
  'work-dir'?: string;
  strategy?: string[];
  seed: number;
  'log-dir'?: string;
  force: boolean;
}

function builder(y: Argv): Argv<CriuLazyPagesArgs> {
  const withOptions = y
    .option('images-dir', { alias: 'D', type: 'string', demandOption: true, requiresArg: true, describe: "the criu dump's images (criu restore's -D)" })
    .option('work-dir', { alias: 'W', type: 'string', requiresArg: true, describe: "where lazy-pages.socket is made (criu restore's -W; default: the images directory)" })
    .option('strategy', {
      type: 'string',
      array: true,
      requiresArg: true,
      describe: `the strategies that serve the restore; several --strategy stack up in the order given (default: ${CRIU_DAEMON_STACK}, what criu lazy-pages does)`,
    })
    .option('seed', seedOption('seed of the strategies'))
    .option('log-dir', { type: 'string', requiresArg: true, describe: "write the restore's event log into this directory" })
    .option('force', { type: 'boolean', default: false, describe: 'overwrite an event log of the same restore in --log-dir' });
  return withJson(withContainerOptions(withOptions), 'print a JSON array with the run result instead of a table') as unknown as Argv<CriuLazyPagesArgs>;
}

function logPathOf(args: CriuLazyPagesArgs, name: string, workload: Parameters<typeof logFileName>[1], stack: string): string | null {
  if (!args['log-dir']) return null;
  const dir = path.resolve(args['log-dir']);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot create log directory ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const file = path.join(dir, logFileName(name, workload, stack, args.seed));
  if (!args.force && fs.existsSync(file)) throw new UsageError(`log ${file} exists (a restore of the same dump, stack and seed): --force overwrites, or choose another --log-dir`);
  return file;
}

/** The figures of a real restore the run table does not show. */
function criuSummary(r: RunResult): string {
  const m = r.metrics;
  const pages = m.pagesCopied.demand + m.pagesCopied.prefetch + m.pagesCopied.precopy + m.pagesCopied.background;
  return (
    `every lazy page present ${(m.restoreNs / 1e6).toFixed(1)} ms after criu restore connected ` +
    `(${pages} pages: ${m.pagesCopied.demand} on demand, ${m.pagesCopied.prefetch} prefetched, ${m.pagesCopied.precopy} precopied, ${m.pagesCopied.background} in the background; ${m.zeroPages} zero pages); ` +
    "the restored program's memory is its own to check: the daemon only ever maps the dump's pages"
  );
}

async function criuLazyPages(args: CriuLazyPagesArgs): Promise<void> {
  const imagesDir = path.resolve(args['images-dir']);
  const workDir = path.resolve(args['work-dir'] ?? imagesDir);
  if (!fs.existsSync(workDir) || !fs.statSync(workDir).isDirectory()) throw new UsageError(`work directory ${workDir} is not a directory`);
  const container = await createContainer(containerOptionsOf(args));
  const stack = (args.strategy ?? []).map((s) => s.trim()).filter((s) => s !== '').join(',') || CRIU_DAEMON_STACK;
  container.get<StrategyRegistry>(StrategyRegistry).instantiate(stack);
  const workload = criuDumpWorkload(imagesDir);
  const backend = new CriuLazyPagesBackend({
    workDir,
    placement: args.placement,
    onListening: (socket) =>
      printErr(`criu-lazy-pages: serving ${workload.image.name} with ${stack}; listening on ${socket} for criu restore --lazy-pages -D ${imagesDir}${workDir === imagesDir ? '' : ` -W ${workDir}`}`),
  });
  const why = await whyUnavailable(backend);
  if (why !== undefined) throw new Error(`criu-lazy-pages cannot run here: ${why}`);
  const logPath = logPathOf(args, backend.name, workload, stack);
  const interrupt = interruptOnSignals();
  let outcome;
  try {
    outcome = await runOne(container, { backend, workload, strategy: stack, seed: args.seed, logPath, signal: interrupt.signal });
  } catch (e) {
    if (interrupt.exitCode !== undefined) throw new ExitError(interrupt.exitCode, 'interrupted: the restored tasks were killed (they did not have all their pages)');
    throw e;
  } finally {
    interrupt.release();
    workload.image.close();
  }
  if (args.json) printJson([outcome.result]);
  else print(`${runHeader(backend.name, workload.spec, args.seed)}\n${renderRunTable([outcome.result])}\n${criuSummary(outcome.result)}`);
  const forked = backend.lastStats;
  if (forked && forked.forkedTasks > 0)
    printErr(
      `criu-lazy-pages: ${forked.forkedTasks} task${forked.forkedTasks === 1 ? '' : 's'} forked during the restore, served from their parents' pages outside the event log: ` +
        `${forked.forkedFaults} fault${forked.forkedFaults === 1 ? '' : 's'}, ${forked.forkedPushed} pages pushed`,
    );
  strategyFailureLines(stack, outcome.store).forEach((l) => printErr(l));
}

export const criuLazyPagesCommandModule: CommandModule<object, CriuLazyPagesArgs> = {
  command: 'criu-lazy-pages',
  describe: "serve `criu restore --lazy-pages` as CRIU's lazy-pages daemon does, with any strategy",
  builder,
  handler: criuLazyPages,
};
