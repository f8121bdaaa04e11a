import { Argv, CommandModule } from 'yargs';
import { benchDecisionLatency, BenchDecisionLatencyResult, benchOverhead, BenchOverheadResult, Placement } from '@restorelab/backend-linux';
import { median, UsageError } from '@restorelab/core';
import { renderTable } from '../format/table';
import { benchRestore, RestoreBenchRow } from '../bench/restore-bench';
import { benchEngines, EnginesBenchResult } from '../bench/engines-bench';
import { benchCriuLazy, CRIU_LAZY_PROGRAMS, CRIU_REFERENCE, CriuLazyBenchResult, CriuLazyProgram } from '../bench/criu-lazy-bench';
import { createContainer } from '../container';
import { ContainerArgs, containerOptionsOf, JsonArgs, print, printJson, withContainerOptions, withJson, withPlacement } from './common-options';

interface BenchOverheadArgs extends JsonArgs {
  pages?: number;
  repeat?: number;
  placement?: Placement;
}

const MEASURES: readonly { key: Exclude<keyof BenchOverheadResult, 'workload'>; unit: string; target: string }[] = [
  { key: 'referenceNsPerFault', unit: 'ns', target: '' },
  { key: 'backendNsPerFault', unit: 'ns', target: '' },
  { key: 'faultRatio', unit: '', target: '<= 1.2' },
  { key: 'referenceCopyGBps', unit: 'GB/s', target: '' },
  { key: 'backendCopyGBps', unit: 'GB/s', target: '' },
  { key: 'copyRatio', unit: '', target: '>= 0.9' },
];

/** A yargs check: each of these options, when given, is a positive integer. */
function positiveIntegers(...keys: string[]): (a: Record<string, unknown>) => true {
  return (a) => {
    for (const k of keys) {
      const v = a[k];
      if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 1)) throw new UsageError(`--${k} must be a positive integer, got ${v}`);
    }
    return true;
  };
}

/** The six measures as a table under a line naming the workload. */
export function formatBenchOverhead(r: BenchOverheadResult): string {
  const rows = MEASURES.map((m) => {
    const v = r[m.key];
    return [m.key, Number.isInteger(v) ? String(v) : v.toFixed(3), m.unit, m.target];
  });
  const table = renderTable(
    [
      { header: 'measure', align: 'left' },
      { header: 'value', align: 'right' },
      { header: 'unit', align: 'left' },
      { header: 'target', align: 'left' },
    ],
    rows,
  );
  return `workload ${r.workload}\n${table}`;
}

/** The overhead benchmark of the Linux backend: a measurement, not a test. */
export async function benchOverheadCommand(args: BenchOverheadArgs): Promise<void> {
  const result = await benchOverhead({ pages: args.pages, repeat: args.repeat, placement: args.placement });
  if (args.json) printJson(result);
  else print(formatBenchOverhead(result));
}

const overhead: CommandModule<object, BenchOverheadArgs> = {
  command: 'overhead',
  describe: 'measure the Linux backend against a minimal C fault handler and raw UFFDIO_COPY',
  builder: (y: Argv) =>
    withJson(
      withPlacement(y)
        .option('pages', { type: 'number', requiresArg: true, describe: 'pages of the seq workload (default 65536)' })
        .option('repeat', { type: 'number', requiresArg: true, describe: 'runs of each kind, the best is kept (default 3)' })
        .check(positiveIntegers('pages', 'repeat')),
    ) as unknown as Argv<BenchOverheadArgs>,
  handler: benchOverheadCommand,
};

interface BenchDecisionArgs extends JsonArgs {
  pages?: number;
  runs?: number;
  placement?: Placement;
}

const us = (ns: number) => (ns / 1000).toFixed(1);

/** One row per echo restore (the first is the process's first restore), then the ratios. */
export function formatBenchDecisionLatency(r: BenchDecisionLatencyResult): string {
  const table = renderTable(
    [
      { header: 'run', align: 'right' },
      { header: 'faults', align: 'right' },
      { header: 'decisions', align: 'right' },
      { header: 'p50 us', align: 'right' },
      { header: 'p90 us', align: 'right' },
      { header: 'p99 us', align: 'right' },
      { header: 'max us', align: 'right' },
      { header: 'landed', align: 'right' },
      { header: 'landed p50 us', align: 'right' },
      { header: 'landed p99 us', align: 'right' },
    ],
    r.runs.map((x, i) => [
      i === 0 ? '1 (fresh)' : String(i + 1),
      String(x.demandFaults),
      String(x.decisions),
      us(x.decisionLatencyNs.p50),
      us(x.decisionLatencyNs.p90),
      us(x.decisionLatencyNs.p99),
      us(x.decisionLatencyNs.max),
      String(x.landed),
      x.landed > 0 ? us(x.landedLatencyNs.p50) : '-',
      x.landed > 0 ? us(x.landedLatencyNs.p99) : '-',
    ]),
  );
  return [
    `workload ${r.workload} · echo strategy (the page after each fault) · fault to the command handled (queued or too late), and to its landing`,
    table,
    `C reference fault round trip ${us(r.referenceNsPerFault)} us; first run p50 ${r.p50Ratio.toFixed(2)}x, p99 ${r.p99Ratio.toFixed(2)}x of it (targets: p50 <= 20 us, p99 <= 100 us)`,
  ].join('\n');
}

const decisionLatency: CommandModule<object, BenchDecisionArgs> = {
  command: 'decision-latency',
  describe: 'how soon a reactive strategy\'s command lands after the fault it answers, against the C fault round trip',
  builder: (y: Argv) =>
    withJson(
      withPlacement(y)
        .option('pages', { type: 'number', requiresArg: true, describe: 'pages of the seq workload (default 16384)' })
        .option('runs', { type: 'number', requiresArg: true, describe: 'echo restores in this process; the first is fresh (default 1)' })
        .check(positiveIntegers('pages', 'runs')),
    ) as unknown as Argv<BenchDecisionArgs>,
  handler: async (args) => {
    const result = await benchDecisionLatency({ pages: args.pages, runs: args.runs, placement: args.placement });
    if (args.json) printJson(result);
    else print(formatBenchDecisionLatency(result));
  },
};

interface BenchRestoreArgs extends JsonArgs {
  pages?: number[];
  repeat?: number;
  placement?: Placement;
}

/** One row per workload: the reference's batched copy, the real eager restore, their ratios. */
export function formatBenchRestore(rows: readonly RestoreBenchRow[]): string {
  const table = renderTable(
    [
      { header: 'workload', align: 'left' },
      { header: 'reference GB/s', align: 'right' },
      { header: 'restore ms', align: 'right' },
      { header: 'restore GB/s', align: 'right' },
      { header: 'ratio', align: 'right' },
      { header: 'copy phase GB/s', align: 'right' },
      { header: 'ratio', align: 'right' },
    ],
    rows.map((r) => [
      r.workload,
      r.referenceGBps.toFixed(3),
      r.restoreMs.toFixed(1),
      r.restoreGBps.toFixed(3),
      r.restoreRatio.toFixed(3),
      r.copyGBps.toFixed(3),
      r.copyRatio.toFixed(3),
    ]),
  );
  return [
    'run --backend linux --strategy eager (verified; restore: RestoreStarted to the last page present) against the C reference\'s 512-page UFFDIO_COPY calls from the same pages file, best of each',
    table,
    'target: restore ratio >= 0.9',
  ].join('\n');
}

const restore: CommandModule<object, BenchRestoreArgs> = {
  command: 'restore',
  describe: 'a real eager restore (run --backend linux --strategy eager) against the batched UFFDIO_COPY floor, in this process',
  builder: (y: Argv) =>
    withJson(
      withPlacement(y)
        .option('pages', { type: 'number', array: true, requiresArg: true, describe: 'pages of each seq workload (default 65536 262144)' })
        .option('repeat', { type: 'number', requiresArg: true, describe: 'measured rounds after a warm-up, the best is kept (default 3)' })
        .check(positiveIntegers('repeat'))
        .check((a) => {
          for (const p of (a.pages as number[] | undefined) ?? []) if (!(Number.isInteger(p) && p >= 1)) throw new UsageError(`--pages must be positive integers, got ${p}`);
          return true;
        }),
    ) as unknown as Argv<BenchRestoreArgs>,
  handler: async (args) => {
    const rows = await benchRestore(await createContainer({ placement: args.placement }), { pages: args.pages, repeat: args.repeat, placement: args.placement });
    if (args.json) printJson(rows);
    else print(formatBenchRestore(rows));
  },
};

interface BenchEnginesArgs extends JsonArgs, ContainerArgs {
  'eager-pages'?: number;
  'demand-pages'?: number;
  repeat?: number;
}

/** One row per copy engine: eager restore and demand faults on Linux, the simulator's prediction beside them. */
export function formatBenchEngines(r: EnginesBenchResult): string {
  const table = renderTable(
    [
      { header: 'engine', align: 'left' },
      { header: 'eager ms', align: 'right' },
      { header: 'vs copy', align: 'right' },
      { header: 'workload ms', align: 'right' },
      { header: 'fault p50 us', align: 'right' },
      { header: 'stall p50 us', align: 'right' },
      { header: 'sim eager ms', align: 'right' },
      { header: 'sim fault p50 us', align: 'right' },
    ],
    r.rows.map((x) => [
      x.engine,
      x.eagerMs.toFixed(1),
      `${x.eagerSpeedup.toFixed(2)}x`,
      x.eagerWorkloadMs.toFixed(1),
      x.faultP50Us.toFixed(1),
      x.stallP50Us.toFixed(1),
      x.simEagerMs.toFixed(1),
      x.simFaultP50Us.toFixed(1),
    ]),
  );
  return [
    `copy engines on Linux, in this process, interleaved (verified): eager ${r.eagerWorkload} (best round; vs copy: copy's time over the engine's), demand-only ${r.demandWorkload} (median of the rounds' p50s)`,
    table,
  ].join('\n');
}

const engines: CommandModule<object, BenchEnginesArgs> = {
  command: 'engines',
  describe: 'the copy engines (copy, continue, move) side by side: eager restore time and demand-fault latency, with the simulator\'s prediction',
  builder: (y: Argv) =>
    withJson(
      withContainerOptions(y)
        .option('eager-pages', { type: 'number', requiresArg: true, describe: 'pages of the seq workload restored eagerly (default 262144: 1 GiB)' })
        .option('demand-pages', { type: 'number', requiresArg: true, describe: 'pages of the seq workload restored on demand (default 16384)' })
        .option('repeat', { type: 'number', requiresArg: true, describe: 'measured rounds after a warm-up (default 3)' })
        .check(positiveIntegers('eager-pages', 'demand-pages', 'repeat')),
    ) as unknown as Argv<BenchEnginesArgs>,
  handler: async (args) => {
    const container = await createContainer(containerOptionsOf(args));
    const result = await benchEngines(container, { eagerPages: args['eager-pages'], demandPages: args['demand-pages'], repeat: args.repeat, placement: args.placement });
    if (args.json) printJson(result);
    else print(formatBenchEngines(result));
  },
};

interface BenchCriuLazyArgs extends JsonArgs {
  criu?: string;
  mib: number;
  runs: number;
  strategy: string[];
  program: CriuLazyProgram;
}

const ms = (x: number) => x.toFixed(1);
const PROGRAM_DOES: Readonly<Record<CriuLazyProgram, string>> = {
  check: 'checks every word',
  sum: 'checksums each page over 8-byte words',
  sum32: 'checksums each page over 4-byte words',
};

/** One row per daemon: medians and ranges over the runs, ratios against CRIU's daemon and the warm scan. */
export function formatBenchCriuLazy(r: CriuLazyBenchResult): string {
  const warm = median(r.warmMs);
  const ref = median(r.rows.find((x) => x.daemon === CRIU_REFERENCE)!.presentMs);
  const range = (xs: number[]) => `${ms(Math.min(...xs))}-${ms(Math.max(...xs))}`;
  const table = renderTable(
    [
      { header: 'daemon', align: 'left' },
      { header: 'runs', align: 'right' },
      { header: 'present ms', align: 'right' },
      { header: 'range', align: 'right' },
      { header: 'speed-up', align: 'right' },
      { header: 'first scan ms', align: 'right' },
      { header: 'range', align: 'right' },
      { header: 'x warm', align: 'right' },
    ],
    r.rows.map((x) => {
      const present = median(x.presentMs);
      const scan = median(x.firstScanMs);
      return [x.daemon, String(x.presentMs.length), ms(present), range(x.presentMs), `${(ref / present).toFixed(2)}x`, ms(scan), range(x.firstScanMs), `${(scan / warm).toFixed(2)}x`];
    }),
  );
  return [
    `criu dump of a ${r.mib} MiB program (${PROGRAM_DOES[r.program]}), restored with criu restore --lazy-pages again and again, the daemons interleaved`,
    `warm scan before the dump: median ${ms(warm)} ms of ${r.warmMs.length}; present: every lazy page in (ours: after criu restore connected; CRIU's: first to last page its -v3 log read); first scan: the program's own, from seeing the restore until it read every page once; medians`,
    table,
    'targets: speed-up >= 1.5x with eager or criu-lazy; first scan <= 1.3x warm with the best strategy',
  ].join('\n');
}

const criuLazy: CommandModule<object, BenchCriuLazyArgs> = {
  command: 'criu-lazy-pages',
  describe: 'restore a real program lazily with CRIU, served by CRIU\'s own daemon and by ours with each strategy',
  builder: (y: Argv) =>
    withJson(
      y
        .option('criu', { type: 'string', requiresArg: true, describe: 'the criu binary (default $RESTORELAB_CRIU)' })
        .option('mib', { type: 'number', requiresArg: true, default: 256, describe: 'the program\'s private memory' })
        .option('runs', { type: 'number', requiresArg: true, default: 5, describe: 'restores with each daemon' })
        .option('strategy', { type: 'string', array: true, requiresArg: true, default: ['eager', 'criu-lazy'], describe: 'our daemon\'s strategy; one row each' })
        .option('program', { choices: CRIU_LAZY_PROGRAMS, default: 'check' as CriuLazyProgram, describe: 'check: every word against its value; sum: a checksum per page over 8-byte words; sum32: over 4-byte words' })
        .check(positiveIntegers('mib', 'runs')),
    ) as unknown as Argv<BenchCriuLazyArgs>,
  handler: async (args) => {
    const criu = args.criu ?? process.env.RESTORELAB_CRIU;
    if (!criu) throw new UsageError('bench criu-lazy-pages needs CRIU: give --criu PATH or set RESTORELAB_CRIU');
    const result = await benchCriuLazy({ criu, cli: process.argv[1], mib: args.mib, runs: args.runs, strategies: args.strategy, program: args.program });
    if (args.json) printJson(result);
    else print(formatBenchCriuLazy(result));
  },
};

export const benchCommandModule: CommandModule = {
  command: 'bench',
  describe: 'benchmarks',
  builder: (y: Argv) => y.command(overhead).command(decisionLatency).command(restore).command(engines).command(criuLazy).demandCommand(1, 'say which benchmark: restorelab bench overhead | decision-latency | restore | engines | criu-lazy-pages'),
  handler: () => undefined,
};
