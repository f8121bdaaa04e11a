import * as fs from 'fs';
import { Argv, CommandModule } from 'yargs';
import { PAGE_SIZE, UsageError } from '@restorelab/core';
import { renderTable } from '../format/table';
import { importCsv } from '../trace/csv-import';
import { importLackey, ImportResult } from '../trace/lackey-import';
import { MigrateAt } from '../trace/trace-builder';
import { traceStats, TraceStats, WORKING_SET_POINTS } from '../trace/trace-stats';
import { JsonArgs, print, printJson, withJson } from './common-options';

const FORMATS = ['lackey', 'csv'] as const;

interface ImportArgs extends JsonArgs {
  in: string;
  out: string;
  format: (typeof FORMATS)[number];
  'migrate-at'?: string;
  instructions: boolean;
  'ns-per-instruction': number;
  'gap-ns': number;
  base: string;
  pid: number;
  collapse: boolean;
}

/** `--migrate-at`: an access index (a whole number) or a fraction of the accesses (strictly between 0 and 1). */
export function parseMigrateAt(text: string): MigrateAt {
  if (/^(0|[1-9][0-9]*)$/.test(text)) return { index: Number(text) };
  if (/^0?\.[0-9]+$/.test(text) && Number(text) > 0 && Number(text) < 1) return { fraction: Number(text) };
  throw new UsageError(`--migrate-at must be an access index (e.g. 5000) or a fraction of the accesses (e.g. 0.5), got '${text}'`);
}

function parseBase(text: string): number {
  if (!/^0[xX][0-9a-fA-F]{1,12}$/.test(text) || parseInt(text, 16) % PAGE_SIZE !== 0) throw new UsageError(`--base must be a page-aligned hex address below 2^48 (e.g. 0x100000000000), got '${text}'`);
  return parseInt(text, 16);
}

function describeImport(args: ImportArgs, r: ImportResult, seconds: number): string {
  const mb = r.bytes / 1e6;
  const parts = [
    `imported ${r.accesses} accesses (${r.writes} writes) from ${r.lines} lines of ${args.in} (${mb.toFixed(1)} MB, ${(mb / Math.max(seconds, 1e-6)).toFixed(0)} MB/s)`,
    `migrate marker at access ${r.migrateAt}`,
  ];
  if (r.skippedLines) parts.push(`${r.skippedLines} lines skipped`);
  if (r.outsideUser) parts.push(`${r.outsideUser} accesses above user space left out`);
  return `${parts.join('; ')}\nwrote ${args.out} (${fs.statSync(args.out).size} bytes; run it: --workload trace:${args.out})`;
}

const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import <in> <out>',
  describe: 'make a trace from valgrind lackey output or a CSV of addresses (gzip input too)',
  builder: (y: Argv) =>
    withJson(
      y
        .positional('in', { type: 'string', describe: "the input: a file, a FIFO, or '-' for stdin" })
        .positional('out', { type: 'string', describe: 'the trace to write (.rltrace)' })
        .option('format', { choices: FORMATS, demandOption: true, requiresArg: true, describe: 'lackey: valgrind --tool=lackey --trace-mem=yes; csv: one address (0x...) or page offset per line, optionally ,r or ,w' })
        .option('migrate-at', { type: 'string', requiresArg: true, describe: 'the migrate marker: an access index or a fraction of the accesses (default: no source phase)' })
        .option('instructions', { type: 'boolean', default: false, describe: 'lackey: instruction fetches are accesses to the code pages too (otherwise they count time only)' })
        .option('ns-per-instruction', { type: 'number', default: 1, requiresArg: true, describe: 'lackey: compute time of one instruction, ns' })
        .option('gap-ns', { type: 'number', default: 200, requiresArg: true, describe: 'csv: compute time before each access, ns' })
        .option('base', { type: 'string', default: '0x100000000000', requiresArg: true, describe: 'csv: the address of page offset 0' })
        .option('pid', { type: 'number', default: 1, requiresArg: true, describe: "the trace's process id" })
        .option('collapse', { type: 'boolean', default: true, describe: 'fold an access to the page of the previous access into it (--no-collapse keeps every access)' })
        .check((a) => {
          for (const k of ['ns-per-instruction', 'gap-ns'] as const) if (!(Number.isFinite(a[k]) && a[k] >= 0 && a[k] <= 0xffffffff)) throw new UsageError(`--${k} must be a number of ns between 0 and 4294967295`);
          if (!(Number.isInteger(a.pid) && a.pid >= 1 && a.pid <= 4194304)) throw new UsageError(`--pid must be a pid (1..4194304), got ${a.pid}`);
          return true;
        }),
    ) as unknown as Argv<ImportArgs>,
  handler: async (args) => {
    const migrateAt = args['migrate-at'] === undefined ? undefined : parseMigrateAt(args['migrate-at']);
    const base = { out: args.out, pid: args.pid, migrateAt, collapse: args.collapse };
    const t0 = process.hrtime.bigint();
    const r =
      args.format === 'lackey'
        ? await importLackey(args.in, { ...base, name: `lackey: ${args.in}`, instructions: args.instructions, nsPerInstruction: args['ns-per-instruction'] })
        : await importCsv(args.in, { ...base, name: `csv: ${args.in}`, base: parseBase(args.base), gapNs: args['gap-ns'] });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (args.json) printJson({ ...r, out: args.out, outBytes: fs.statSync(args.out).size, seconds });
    else print(describeImport(args, r, seconds));
  },
};

interface StatsArgs extends JsonArgs {
  file: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function formatTraceStats(s: TraceStats): string {
  const head = `trace ${s.file}: ${s.name} · ${s.processes.length} process${s.processes.length === 1 ? '' : 'es'}, ${s.accesses} accesses, ${s.bytes} bytes (${s.bytesPerAccess.toFixed(2)} bytes/access)`;
  const table = renderTable(
    ['pid', 'parent', 'accesses', 'source', 'pages', 'writes', 'sequential', 'cold', 'reuse p50', 'reuse p90', 'reuse p99'].map((header) => ({ header, align: 'right' }) as const),
    s.processes.map((p) => [
      String(p.pid),
      p.parent === null ? '-' : String(p.parent),
      String(p.accesses),
      String(p.sourceAccesses),
      String(p.pages),
      pct(p.writeFraction),
      pct(p.sequentialFraction),
      pct(p.coldFraction),
      p.reuseDistance ? String(p.reuseDistance.p50) : '-',
      p.reuseDistance ? String(p.reuseDistance.p90) : '-',
      p.reuseDistance ? String(p.reuseDistance.p99) : '-',
    ]),
  );
  const curve = renderTable(
    ['pid', ...WORKING_SET_POINTS.map((f) => `${Math.round(f * 100)}%`)].map((header) => ({ header, align: 'right' }) as const),
    s.processes.map((p) => [String(p.pid), ...p.workingSet.map(String)]),
  );
  return `${head}\n${table}\nworking set: distinct pages after each fraction of a process's accesses\n${curve}`;
}

const statsCommand: CommandModule<object, StatsArgs> = {
  command: 'stats <file>',
  describe: 'pages, accesses, reuse distance, sequential fraction and the working-set curve of a trace',
  builder: (y: Argv) => withJson(y.positional('file', { type: 'string', describe: 'a trace (.rltrace)' })) as unknown as Argv<StatsArgs>,
  handler: (args) => {
    let bytes = 0;
    try {
      bytes = fs.statSync(args.file).size;
    } catch {
      // scanTrace says why it cannot be read
    }
    const s = traceStats(args.file, bytes);
    if (args.json) printJson(s);
    else print(formatTraceStats(s));
  },
};

export const traceCommandModule: CommandModule = {
  command: 'trace',
  describe: 'import traces (valgrind lackey, CSV of addresses) and summarise them',
  builder: (y: Argv) => y.command(importCommand).command(statsCommand).demandCommand(1, 'say what to do: restorelab trace import | stats'),
  handler: () => undefined,
};
