import { Argv, CommandModule } from 'yargs';
import type { LogComparison } from '../experiment/compare-logs';
import { renderTable } from '../format/table';
import { JsonArgs, print, printJson, withJson } from './common-options';

interface CompareArgs extends JsonArgs {
  a: string;
  b: string;
}

function builder(y: Argv): Argv<CompareArgs> {
  return withJson(
    y
      .positional('a', { type: 'string', demandOption: true, describe: 'event log A (.rlog or .arrow)' })
      .positional('b', { type: 'string', demandOption: true, describe: 'event log B (.rlog or .arrow)' }),
    'print the comparison as JSON',
  ) as unknown as Argv<CompareArgs>;
}

function fmt(x: number | string | null): string {
  if (x === null) return '-';
  if (typeof x === 'string') return x;
  return Number.isInteger(x) ? String(x) : x.toFixed(4);
}

function pct(x: number | null): string {
  return x === null ? '-' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

export function renderComparison(c: LogComparison): string {
  const lines: string[] = [];
  const who = (s: LogComparison['a']) => `${s.backend} ${s.workload} ${s.strategy} seed ${s.seed}${s.verified ? '' : ' (NOT VERIFIED)'}`;
  lines.push(`A: ${c.a.file}\n   ${who(c.a)}`);
  lines.push(`B: ${c.b.file}\n   ${who(c.b)}`);
  if (!c.sameWorkload) lines.push('note: the two runs restored different workloads');
  lines.push('');
  lines.push(
    renderTable(
      [
        { header: 'metric', align: 'left' },
        { header: 'A', align: 'right' },
        { header: 'B', align: 'right' },
        { header: 'B-A', align: 'right' },
        { header: '(B-A)/A', align: 'right' },
      ],
      c.metrics.map((m) => [m.metric, fmt(m.a), fmt(m.b), fmt(m.diff), pct(m.relative)]),
    ),
  );
  lines.push('');
  const f = c.faults;
  if (f.identical) lines.push(`demand-fault sequences: identical (${f.faultsA} faults)`);
  else {
    const d = f.firstDifference!;
    const ref = (r: { pid: number; page: number } | null) => (r ? `pid ${r.pid} page ${r.page}` : 'no fault (sequence ended)');
    lines.push(`demand-fault sequences diverge at fault #${d.index}: A ${ref(d.a)}, B ${ref(d.b)}`);
    lines.push(`faults: A ${f.faultsA}, B ${f.faultsB}; only in A: ${f.onlyInA}, only in B: ${f.onlyInB}`);
    const l = f.lateDecision;
    if (l) {
      const us = (ns: number) => `${(ns / 1000).toFixed(1)} us`;
      const landed = l.landedAfterNs === null ? 'it had landed and was not copied yet' : `it landed ${us(l.landedAfterNs)} after the fault`;
      lines.push(
        `a late decision: ${l.run}'s fault on pid ${l.fault.pid} page ${l.fault.page} hit a page a strategy had asked for ${us(l.queuedBeforeNs)} before; ${landed}`,
      );
    }
  }
  return lines.join('\n');
}

/** Two runs side by side: metrics, and where their demand-fault sequences diverge. */
export async function runCompareCommand(args: CompareArgs): Promise<void> {
  // loaded here: apache-arrow costs every other command's start-up ~70 ms
  const { compareLogs, readAnyLog } = await import('../experiment/compare-logs');
  const c = compareLogs(args.a, readAnyLog(args.a), args.b, readAnyLog(args.b));
  if (args.json) printJson(c);
  else print(renderComparison(c));
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <a> <b>',
  describe: 'compare two runs from their logs: metrics side by side and where their fault sequences diverge',
  builder,
  handler: runCompareCommand,
};

export default compareCommand;
