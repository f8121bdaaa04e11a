import * as fs from 'fs';
import * as path from 'path';
import { Argv, CommandModule } from 'yargs';
import { performance } from 'perf_hooks';
import { parseCopyEngine, parseLink, ProfilePhase, restorePhases, RunOutcome, RunProfile, RunResult, StrategyRegistry, UsageError, writeRecordedTrace } from '@restorelab/core';
import { parseSourceUrl, readToken } from '@restorelab/backend-linux';
import { renderProfile, RunPhases } from '../format/profile-table';
import { createContainer } from '../container';
import { defaultStacks } from '../default-comparison';
import { ExitError } from '../errors';
import { interruptOnSignals } from './interrupt';
import { failureReason } from '../format/failure-reason';
import { strategyFailureLines } from '../format/strategy-failures';
import { precopyLines } from '../format/precopy-lines';
import { logFileName, uniqueLogFileNames } from '../format/log-file-name';
import { Progress } from '../format/progress';
import { renderRunTable, runHeader } from '../format/run-table';
import { availableBackend, createWorkload, fitsBackend, runOne } from '../run-one';
import { ContainerArgs, containerOptionsOf, JsonArgs, print, printErr, printJson, seedOption, withContainerOptions, withJson } from './common-options';

export const DEFAULT_WORKLOAD = 'zipf:pages=16384,accesses=100000';

interface RunArgs extends ContainerArgs, JsonArgs {
  backend: string;
  workload: string;
  strategy?: string[];
  seed: number;
  'log-dir'?: string;
  repeat: number;
  force: boolean;
  profile: boolean;
  'record-trace'?: string;
  source?: string;
  link?: string;
  channels: number;
  'token-file'?: string;
  'copy-engine': string;
}

function builder(y: Argv): Argv<RunArgs> {
  const withOptions = y
    .option('backend', { type: 'string', default: 'sim', requiresArg: true, describe: 'where to restore: sim or linux' })
    .option('workload', { type: 'string', default: DEFAULT_WORKLOAD, requiresArg: true, describe: 'workload spec, NAME:key=value,...' })
    .option('strategy', {
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'a strategy stack to run, e.g. thp-guard,neighbor-prefetch:window=16 (repeatable; default: every strategy that applies)',
    })
    .option('seed', seedOption('seed of the run (and of the workload unless its spec sets one)'))
    .option('log-dir', { type: 'string', requiresArg: true, describe: 'write one event log per run into this directory' })
    .option('force', { type: 'boolean', default: false, describe: 'overwrite event logs of the same runs in --log-dir' })
    .option('profile', {
      type: 'boolean',
      default: false,
      describe: 'print where each run\'s wall time went (set-up, runner start, copies, workload, verification, teardown)',
    })
    .option('repeat', { type: 'number', default: 1, requiresArg: true, describe: 'run each stack this many times (one row and one log each)' })
    .option('record-trace', {
      type: 'string',
      requiresArg: true,
      describe: "write the run's faults in order, then the pages it touched without a fault, as a trace (a profile for hot-first-precopy:profile=FILE); one run only",
    })
    .option('source', {
      type: 'string',
      requiresArg: true,
      describe: 'linux backend: read the pages from this page server (restorelab serve), tcp://HOST:PORT',
    })
    .option('link', {
      type: 'string',
      requiresArg: true,
      describe: 'the pages come over a link: latency-us=N,bandwidth=RATE,channels=1|2; the simulator models it, linux starts a page server shaped so on loopback',
    })
    .option('channels', {
      type: 'number',
      default: 2,
      requiresArg: true,
      describe: 'with --source: 2 connections (urgent for demand faults and fault-time windows, background for the rest) or 1 for both',
    })
    .option('token-file', { type: 'string', requiresArg: true, describe: "with --source: the server's shared token, first line of this file (else RESTORELAB_PAGE_SERVER_TOKEN)" })
    .option('copy-engine', {
      type: 'string',
      default: 'copy',
      requiresArg: true,
      describe: 'how copied pages are placed: copy (UFFDIO_COPY), continue (memfd page cache + UFFDIO_CONTINUE) or move (staging area + UFFDIO_MOVE); see docs/copy-engines.md',
    })
    .check((a) => {
      parseCopyEngine(a['copy-engine']);
      if (a.channels !== 1 && a.channels !== 2) throw new UsageError(`--channels must be 1 or 2, got ${a.channels}`);
      if (a.source !== undefined && a.backend !== 'linux') throw new UsageError('--source reads pages over TCP on the linux backend: add --backend linux');
      if (a.source === undefined && (a['token-file'] !== undefined || a.channels !== 2)) throw new UsageError('--channels and --token-file go with --source tcp://HOST:PORT (with --link, say channels=1 in it)');
      if (a.source !== undefined && a.link !== undefined)
        throw new UsageError('--link shapes a page server the run starts on loopback; with --source the server you started shapes the link (serve --latency-us --bandwidth)');
      if (!(Number.isSafeInteger(a.repeat) && a.repeat >= 1 && a.repeat <= 1000)) throw new UsageError(`--repeat must be an integer from 1 to 1000, got ${a.repeat}`);
      return true;
    });
  return withJson(withContainerOptions(withOptions), 'print a JSON array of run results instead of a table') as unknown as Argv<RunArgs>;
}

export async function runCommand(args: RunArgs): Promise<void> {
  const interrupt = interruptOnSignals();
  try {
    await runStacks(args, interrupt.signal);
  } catch (e) {
    if (interrupt.exitCode !== undefined) throw new ExitError(interrupt.exitCode, 'interrupted: the restore was stopped and its run directory removed');
    throw e;
  } finally {
    interrupt.release();
  }
  // a signal the event loop heard only once the last restore had ended: its results stand, the exit code says it came
  if (interrupt.exitCode !== undefined) throw new ExitError(interrupt.exitCode, 'interrupted after the last run had ended (its results are above)');
}

async function runStacks(args: RunArgs, signal: AbortSignal): Promise<void> {
  const shared = new RunProfile();
  shared.add('start-up (node, modules)', performance.now());
  const link = args.link === undefined ? undefined : parseLink(args.link);
  const source = args.source === undefined ? undefined : { ...parseSourceUrl(args.source), channels: args.channels as 1 | 2, token: readToken(args['token-file'], process.env) };
  const container = await shared.timeAsync('container and backend', () => createContainer({ ...containerOptionsOf(args), source }));
  const backend = await availableBackend(container, args.backend);
  const workload = shared.time('workload generation', () => createWorkload(container, args.workload, args.seed, fitsBackend(backend)));
  const given = args.strategy && args.strategy.length > 0 ? args.strategy : defaultStacks(container, workload);
  const registry = container.get<StrategyRegistry>(StrategyRegistry);
  const seen = new Set<string>();
  for (const s of given) {
    registry.instantiate(s);
    if (seen.has(s.trim())) throw new UsageError(`strategy stack '${s}' given twice (--repeat N runs each stack N times)`);
    seen.add(s.trim());
  }
  const repeat = args.repeat;
  if (args['record-trace'] !== undefined && given.length * repeat !== 1)
    throw new UsageError(`--record-trace records one run: give one --strategy and no --repeat (here ${given.length * repeat} runs)`);
  const stacks = given.flatMap((s) => Array.from({ length: repeat }, () => s));
  const repeatOf = (i: number): number | undefined => (repeat > 1 ? (i % repeat) + 1 : undefined);

  let logPaths: (string | null)[] = stacks.map(() => null);
  if (args['log-dir']) {
    const dir = path.resolve(args['log-dir']);
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new UsageError(`cannot create log directory ${dir}: ${e instanceof Error ? e.message : String(e)}`);
    }
    logPaths = uniqueLogFileNames(stacks.map((s, i) => logFileName(backend.name, workload, s, args.seed, repeatOf(i)))).map((n) => path.join(dir, n));
    const taken = args.force ? [] : logPaths.filter((p) => p !== null && fs.existsSync(p));
    if (taken.length > 0)
      throw new UsageError(`log ${taken[0]} exists (a run of the same backend, workload, stack and seed${taken.length > 1 ? `, and ${taken.length - 1} more` : ''}): --force overwrites, or choose another --log-dir`);
  }

  const progress = new Progress(process.stderr);
  const outcomes: RunOutcome[] = [];
  const profiles: RunPhases[] = [];
  for (let i = 0; i < stacks.length; i++) {
    progress.begin(`[${i + 1}/${stacks.length}] ${stacks[i]}`);
    const profile = new RunProfile();
    const t0 = performance.now();
    try {
      outcomes.push(
        await runOne(container, {
          profile,
          backend: backend.name,
          workload,
          strategy: stacks[i],
          seed: args.seed,
          logPath: logPaths[i],
          onProgress: progress.update,
          signal,
          link,
          copyEngine: parseCopyEngine(args['copy-engine']),
        }),
      );
    } finally {
      progress.end();
    }
    if (args.profile) profiles.push(runPhases(stacks[i], profile, outcomes[i], performance.now() - t0, backend.clock === 'virtual'));
  }

  const results: RunResult[] = outcomes.map((o) => o.result);
  const recordTo = args['record-trace'];
  const recorded = recordTo === undefined ? undefined : writeRecordedTrace(outcomes[0].store, workload.image, recordTo, `recorded: ${backend.name} ${workload.spec} ${stacks[0]}`);
  if (args.json) printJson(args.profile ? results.map((r, i) => ({ ...r, profile: profiles[i].phases })) : results);
  else print([runHeader(backend.name, workload.spec, args.seed), renderRunTable(results), ...precopyLines(results)].join('\n'));
  if (args.profile && !args.json) print(`\n${renderProfile(shared.phases, profiles, performance.now())}`);
  if (recorded && !args.json)
    printErr(`recorded ${recordTo}: ${recorded.faults} faults, then ${recorded.touchedWithoutFault} pages touched without a fault (replay: --workload trace:${recordTo},image=DIR; profile: hot-first-precopy:profile=${recordTo})`);

  outcomes.forEach((o, i) => strategyFailureLines(stacks[i], o.store).forEach((l) => printErr(l)));
  const failed = outcomes.filter((o) => !o.result.verified);
  for (const o of failed) printErr(failureReason(o.store, o.result));
  if (failed.length > 0) throw new ExitError(1);
}

/**
 * The run's set-up phases, the log's, and the rest of its wall time (results, log, waits). A
 * simulator's log is in virtual time: its run is one phase of wall time, the restore is not counted.
 */
function runPhases(stack: string, profile: RunProfile, outcome: RunOutcome, wallMs: number, virtual: boolean): RunPhases {
  const known = (ps: readonly ProfilePhase[]) => ps.reduce((n, p) => n + p.ms, 0);
  if (virtual) {
    const rest = { name: 'simulation, results and log', ms: Math.max(0, wallMs - known(profile.phases)) };
    return { stack, phases: [...profile.phases, rest] };
  }
  const phases = [...profile.phases, ...restorePhases(outcome.store)];
  const rest = { name: 'results, log and the rest', ms: Math.max(0, wallMs - known(phases)) };
  return { stack, phases: [...phases, rest], restoreMs: outcome.result.metrics.restoreNs / 1e6 };
}

export const runCommandModule: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'restore a workload with one or more strategies and compare them',
  builder,
  handler: runCommand,
};
