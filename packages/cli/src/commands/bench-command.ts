import { Argv, CommandModule } from 'yargs';
import { benchOverhead, BenchOverheadResult, Placement } from '@restorelab/backend-linux';
import { UsageError } from '@restorelab/core';
import { renderTable } from '../format/table';
import { JsonArgs, print, printJson, withJson, withPlacement } from './common-options';

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
        .check((a) => {
          for (const k of ['pages', 'repeat'] as const) {
            const v = a[k];
            if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new UsageError(`--${k} must be a positive integer, got ${v}`);
          }
          return true;
        }),
    ) as unknown as Argv<BenchOverheadArgs>,
  handler: benchOverheadCommand,
};

export const benchCommandModule: CommandModule = {
  command: 'bench',
  describe: 'benchmarks',
  builder: (y: Argv) => y.command(overhead).demandCommand(1, 'say which benchmark: restorelab bench overhead'),
  handler: () => undefined,
};
