import { Argv, CommandModule } from 'yargs';
import { UsageError } from '@restorelab/core';
import { createContainer } from '../container';
import { ExitError } from '../errors';
import { FidelityPair, measureFidelity } from '../experiment/fidelity';
import { renderTable } from '../format/table';
import { ContainerArgs, containerOptionsOf, JsonArgs, print, printErr, printJson, withContainerOptions, withJson } from './common-options';

interface FidelityArgs extends ContainerArgs, JsonArgs {
  workload?: string[];
  strategy?: string[];
  repetitions: number;
  'max-stall-error': number;
  check: boolean;
}

function builder(y: Argv): Argv<FidelityArgs> {
  const withOptions = y
    .option('workload', { type: 'string', array: true, requiresArg: true, describe: 'workload spec (repeatable; default: every built-in workload, small)' })
    .option('strategy', { type: 'string', array: true, requiresArg: true, describe: 'strategy stack (repeatable; default: every deterministic strategy)' })
    .option('repetitions', { type: 'number', default: 3, requiresArg: true, describe: 'Linux runs per pair (the median stall time counts)' })
    .option('max-stall-error', { type: 'number', default: 0.15, requiresArg: true, describe: 'a pair is ok within this relative stall-time error' })
    .option('check', { type: 'boolean', default: false, describe: 'exit 1 when a pair is not ok' })
    .check((a) => {
      if (!(Number.isInteger(a.repetitions) && a.repetitions >= 1)) throw new UsageError(`--repetitions must be a positive integer, got ${a.repetitions}`);
      if (!(a['max-stall-error'] >= 0)) throw new UsageError(`--max-stall-error must be >= 0, got ${a['max-stall-error']}`);
      return true;
    });
  return withJson(withContainerOptions(withOptions), 'print the pairs as JSON') as unknown as Argv<FidelityArgs>;
}

function ms(ns: number): string {
  return (ns / 1e6).toFixed(3);
}

export function renderFidelity(pairs: readonly FidelityPair[]): string {
  return renderTable(
    [
      { header: 'workload', align: 'left' },
      { header: 'strategy', align: 'left' },
      { header: 'faults linux', align: 'right' },
      { header: 'faults sim', align: 'right' },
      { header: 'Δ faults', align: 'right' },
      { header: 'stall linux ms', align: 'right' },
      { header: 'stall sim ms', align: 'right' },
      { header: 'stall error', align: 'right' },
      { header: 'verified linux/sim', align: 'left' },
      { header: 'ok', align: 'left' },
    ],
    pairs.map((p) => [
      p.workload,
      p.strategy,
      String(p.linux.demandFaults),
      String(p.sim.demandFaults),
      String(p.faultDifference),
      ms(p.linux.stallNs),
      ms(p.sim.stallNs),
      p.stallError === null ? '-' : `${p.stallError >= 0 ? '+' : ''}${(p.stallError * 100).toFixed(1)}%`,
      `${p.linux.verified ? 'yes' : 'no'}/${p.sim.verified ? 'yes' : 'no'}`,
      p.ok ? '✓' : '✗',
    ]),
  );
}

/** Simulator vs Linux on small built-in workloads, per deterministic strategy. */
export async function runFidelityCommand(args: FidelityArgs): Promise<void> {
  const container = await createContainer(containerOptionsOf(args));
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let pairs: FidelityPair[];
  try {
    pairs = await measureFidelity(container, {
      workloads: args.workload,
      strategies: args.strategy,
      repetitions: args.repetitions,
      maxStallError: args['max-stall-error'],
      signal: controller.signal,
      onPair: (p, i, n) => {
        if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K[${i + 1}/${n}] ${p.workload} ${p.strategy}`);
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  }
  if (args.json) printJson(pairs);
  else {
    print(renderFidelity(pairs));
    const bad = pairs.filter((p) => !p.ok).length;
    const faultsOff = pairs.filter((p) => p.faultDifference !== 0).length;
    const errors = pairs.map((p) => Math.abs(p.stallError ?? 0));
    const worst = errors.length ? Math.max(...errors) : 0;
    print(`${pairs.length - bad}/${pairs.length} pairs ok; demand faults differ in ${faultsOff}; worst stall error ${(worst * 100).toFixed(1)}%`);
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
