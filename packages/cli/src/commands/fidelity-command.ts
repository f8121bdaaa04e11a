import { Argv, CommandModule } from 'yargs';
import { DEFAULT_PLACEMENT } from '@restorelab/backend-linux';
import { median, parseLink, UsageError } from '@restorelab/core';
import { measuredSummary, writeCostProfile } from '../experiment/calibrate';
import { InlineCalibrator } from '../experiment/inline-calibrator';
import { createContainer } from '../container';
import { ExitError } from '../errors';
import { DEFAULT_REPETITIONS, FidelityPair, measureFidelity } from '../experiment/fidelity';
import { renderTable } from '../format/table';
import { ContainerArgs, containerOptionsOf, JsonArgs, print, printErr, printJson, withContainerOptions, withJson } from './common-options';

interface FidelityArgs extends ContainerArgs, JsonArgs {
  workload?: string[];
  strategy?: string[];
  repetitions: number;
  'max-stall-error': number;
  check: boolean;
  calibrate: boolean;
  out?: string;
  link?: string[];
}

function builder(y: Argv): Argv<FidelityArgs> {
  const withOptions = y
    .option('workload', { type: 'string', array: true, requiresArg: true, describe: 'workload spec (repeatable; default: every built-in workload, small)' })
    .option('strategy', { type: 'string', array: true, requiresArg: true, describe: 'strategy stack (repeatable; default: every strategy that applies)' })
    .option('link', {
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'also over this link: latency-us=N,bandwidth=RATE,channels=1|2 (Linux through a shaped loopback page server); none: locally (repeatable; default: locally only)',
    })
    .option('repetitions', { type: 'number', default: DEFAULT_REPETITIONS, requiresArg: true, describe: 'Linux runs per pair (the median stall time counts)' })
    .option('max-stall-error', { type: 'number', default: 0.15, requiresArg: true, describe: 'a pair is ok within this relative stall-time error' })
    .option('check', { type: 'boolean', default: false, describe: 'exit 1 when a pair is not ok' })
    .option('calibrate', {
      type: 'boolean',
      default: false,
      describe: 'measure the cost model during the comparison (a calibration round before each round of Linux runs) and simulate with it',
    })
    .option('out', { type: 'string', requiresArg: true, describe: 'with --calibrate: write the cost model measured to this file' })
    .check((a) => {
      if (a.calibrate && a['cost-model'] !== undefined) throw new UsageError('give --cost-model FILE or --calibrate, not both');
      if (a.out !== undefined && !a.calibrate) throw new UsageError('--out writes the cost model --calibrate measures: add --calibrate');
      if (!(Number.isInteger(a.repetitions) && a.repetitions >= 1)) throw new UsageError(`--repetitions must be a positive integer, got ${a.repetitions}`);
      if (!(a['max-stall-error'] >= 0)) throw new UsageError(`--max-stall-error must be >= 0, got ${a['max-stall-error']}`);
      return true;
    });
  return withJson(withContainerOptions(withOptions), 'print the pairs as JSON') as unknown as Argv<FidelityArgs>;
}

function ms(ns: number): string {
  return (ns / 1e6).toFixed(3);
}

function percent(e: number | null): string {
  return e === null ? '-' : `${e >= 0 ? '+' : ''}${(e * 100).toFixed(1)}%`;
}

export function renderFidelity(pairs: readonly FidelityPair[]): string {
  return renderTable(
    [
      { header: 'workload', align: 'left' },
      { header: 'strategy', align: 'left' },
      ...(pairs.some((p) => p.link) ? [{ header: 'link', align: 'left' as const }] : []),
      { header: 'faults linux', align: 'right' },
      { header: 'faults sim', align: 'right' },
      { header: 'Δ faults', align: 'right' },
      { header: 'fault error', align: 'right' },
      { header: 'stall linux ms', align: 'right' },
      { header: 'stall sim ms', align: 'right' },
      { header: 'stall error', align: 'right' },
      { header: 'linux runs min-max ms', align: 'right' },
      { header: 'workload error', align: 'right' },
      { header: 'verified linux/sim', align: 'left' },
      { header: 'ok', align: 'left' },
    ],
    pairs.map((p) => [
      p.workload,
      p.strategy,
      ...(pairs.some((q) => q.link) ? [p.link ?? 'local'] : []),
      String(p.linux.demandFaults),
      String(p.sim.demandFaults),
      String(p.faultDifference),
      p.deterministic && p.faultDifference === 0 ? 'same' : percent(p.faultError),
      ms(p.linux.stallNs),
      ms(p.sim.stallNs),
      percent(p.stallError),
      `${ms(Math.min(...p.linux.stallNsRuns))}-${ms(Math.max(...p.linux.stallNsRuns))}`,
      percent(p.workloadError),
      `${p.linux.verified ? 'yes' : 'no'}/${p.sim.verified ? 'yes' : 'no'}`,
      p.ok ? '✓' : '✗',
    ]),
  );
}


/** One line: pairs ok, pairs whose faults differ, median and worst |error| of stall and workload time. */
export function fidelitySummary(pairs: readonly FidelityPair[]): string {
  const bad = pairs.filter((p) => !p.ok).length;
  const faultsOff = pairs.filter((p) => p.deterministic && p.faultDifference !== 0).length;
  const abs = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null).map(Math.abs);
  const reactive = pairs.filter((p) => !p.deterministic);
  const faultErr = abs(reactive.map((p) => p.faultError));
  const stall = abs(pairs.map((p) => p.stallError));
  const workload = abs(pairs.map((p) => p.workloadError));
  const pc = (x: number) => `${(x * 100).toFixed(1)}%`;
  return (
    `${pairs.length - bad}/${pairs.length} pairs ok; demand faults differ in ${faultsOff}; ` +
    (reactive.length ? `reactive |fault error| median ${pc(median(faultErr))}, worst ${pc(faultErr.length ? Math.max(...faultErr) : 0)}; ` : '') +
    `|stall error| median ${pc(median(stall))}, worst ${pc(stall.length ? Math.max(...stall) : 0)}; ` +
    `|workload error| median ${pc(median(workload))}, worst ${pc(workload.length ? Math.max(...workload) : 0)}`
  );
}

/** Simulator vs Linux on small built-in workloads, per strategy (reactive ones within a fault error). */
export async function runFidelityCommand(args: FidelityArgs): Promise<void> {
  const container = await createContainer(containerOptionsOf(args));
  const calibrator = args.calibrate ? InlineCalibrator.open(args.placement ?? DEFAULT_PLACEMENT) : undefined;
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let pairs: FidelityPair[];
  try {
    pairs = await measureFidelity(container, {
      workloads: args.workload,
      strategies: args.strategy,
      links: args.link?.map((l) => (l === 'none' ? undefined : parseLink(l))),
      repetitions: args.repetitions,
      maxStallError: args['max-stall-error'],
      signal: controller.signal,
      onLeftOut: (workload, reason) => printErr(`fidelity: left out ${workload}: ${reason}`),
      onProgress: (done, total, label) => {
        if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K[${done}/${total}] ${label}`);
      },
      calibrator,
    });
  } finally {
    process.off('SIGINT', onSigint);
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
    calibrator?.close();
  }
  const profile = calibrator && calibrator.rounds > 0 ? calibrator.profile() : undefined;
  if (profile && args.out) writeCostProfile(args.out, profile);
  if (args.json) printJson(profile ? { costModel: profile, pairs } : pairs);
  else {
    if (profile) print(`cost model measured during the comparison (${calibrator!.rounds} rounds): ${measuredSummary(profile)}`);
    print(renderFidelity(pairs));
    print(fidelitySummary(pairs));
  }
  if (controller.signal.aborted) throw new ExitError(130, 'interrupted');
  if (args.check && pairs.some((p) => !p.ok)) {
    printErr('fidelity: some pairs are not ok');
    throw new ExitError(1);
  }
}

export const fidelityCommand: CommandModule<object, FidelityArgs> = {
  command: 'fidelity',
  describe: 'run small built-in workloads on the simulator and on Linux and report how far the simulator is off',
  builder,
  handler: runFidelityCommand,
};

export default fidelityCommand;
