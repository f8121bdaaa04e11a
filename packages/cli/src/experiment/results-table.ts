import * as path from 'path';
import { RunMetrics } from '@restorelab/core';
import { PlannedRun } from './expand-experiment';
import { RunRecord, writeJsonAtomic, writeFileAtomic } from './output-dir';

export type Cell = string | number | boolean | null;
export type ResultRow = Readonly<Record<string, Cell>>;

export interface ResultsTable {
  readonly columns: readonly string[];
  readonly rows: readonly ResultRow[];
}

/** The metric columns, in this order, named by their path in RunMetrics. */
export const METRIC_COLUMNS = [
  'demandFaults',
  'latePrefetches',
  'stallNs',
  'stallLatencyNs.p50',
  'stallLatencyNs.p90',
  'stallLatencyNs.p99',
  'stallLatencyNs.max',
  'serverStallNs',
  'faultLatencyNs.p50',
  'faultLatencyNs.p90',
  'faultLatencyNs.p99',
  'faultLatencyNs.max',
  'decisions',
  'decisionLatencyNs.p50',
  'decisionLatencyNs.p90',
  'decisionLatencyNs.p99',
  'decisionLatencyNs.max',
  'restoreNs',
  'workloadNs',
  'pagesCopied.demand',
  'pagesCopied.prefetch',
  'pagesCopied.precopy',
  'pagesCopied.background',
  'bytesCopied.demand',
  'bytesCopied.prefetch',
  'bytesCopied.precopy',
  'bytesCopied.background',
  'copyCalls',
  'zeroPages',
  'prefilledPages',
  'duplicateCopies',
  'prefetchAccuracy',
  'coverage',
  'unrestoredPages',
  'rssBytes',
  'pssBytes',
  'mismatchedPages',
  'verifiedPages',
  'strategyFailures',
  'events',
  'downtimeNs',
  'transferPages',
  'precopy.rounds',
  'precopy.sentPages',
  'precopy.dirtyPages',
  'precopy.discardedPages',
  'precopy.switchReason',
  'precopy.sourcePasses',
] as const;

/** Metrics that are an object or null (precopy): null gives their columns nulls, not a column of its own. */
const NULLABLE_GROUPS = new Set(['precopy']);

const LEADING = ['run', 'index', 'backend', 'workload', 'strategy', 'repetition', 'seed'] as const;

/** Flattens nested metric objects to `a.b` keys; an array is one cell, its numbers space-separated. */
export function flattenMetrics(m: RunMetrics | Readonly<Record<string, unknown>>, prefix = '', out: Record<string, Cell> = {}): Record<string, Cell> {
  for (const [k, v] of Object.entries(m)) {
    if (Array.isArray(v)) out[`${prefix}${k}`] = v.join(' ');
    else if (v === null && prefix === '' && NULLABLE_GROUPS.has(k)) continue;
    else if (v !== null && typeof v === 'object') flattenMetrics(v as Record<string, unknown>, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = v === undefined ? null : (v as Cell);
  }
  return out;
}

/**
 * One row per finished run, in the plan's order: identification, every workload parameter (w.*),
 * every strategy parameter (s.<strategy>.*), verdict, every metric, specs and the log. The columns
 * come from the whole plan, so every shard of an experiment has the same ones.
 */
export function buildResults(runs: readonly PlannedRun[], records: ReadonlyMap<string, RunRecord>): ResultsTable {
  const workloadCols: string[] = [];
  const strategyCols: string[] = [];
  const seenW = new Set<string>();
  const seenS = new Set<string>();
  for (const r of runs) {
    for (const k of Object.keys(r.workload.params)) {
      const col = `w.${k}`;
      if (!seenW.has(col)) {
        seenW.add(col);
        workloadCols.push(col);
      }
    }
    for (const [s, params] of Object.entries(r.strategy.params)) {
      for (const k of Object.keys(params)) {
        const col = `s.${s}.${k}`;
        if (!seenS.has(col)) {
          seenS.add(col);
          strategyCols.push(col);
        }
      }
    }
  }
  const metricCols: string[] = [...METRIC_COLUMNS];
  const known = new Set(metricCols);
  const extra = new Set<string>();
  for (const rec of records.values()) {
    if (!rec.metrics) continue;
    for (const k of Object.keys(flattenMetrics(rec.metrics))) if (!known.has(k)) extra.add(k);
  }
  metricCols.push(...[...extra].sort());
  const linkCols = runs.some((r) => r.link) ? ['link'] : [];
  const engineCols = runs.some((r) => r.copyEngine) ? ['copy_engine'] : [];
  const columns = [...LEADING, ...linkCols, ...engineCols, ...workloadCols, ...strategyCols, 'verified', 'error', ...metricCols, 'workload_spec', 'strategy_spec', 'log'];

  const rows: ResultRow[] = [];
  for (const r of runs) {
    const rec = records.get(r.id);
    if (!rec) continue;
    const row: Record<string, Cell> = {};
    for (const c of columns) row[c] = null;
    Object.assign(row, {
      run: r.id,
      index: r.index,
      backend: r.backend,
      workload: r.workload.label,
      strategy: r.strategy.label,
      repetition: r.repetition,
      seed: r.seed,
    });
    if (linkCols.length) row.link = r.link?.spec ?? 'none';
    if (engineCols.length) row.copy_engine = r.copyEngine ?? 'copy';
    for (const [k, v] of Object.entries(r.workload.params)) row[`w.${k}`] = v;
    for (const [s, params] of Object.entries(r.strategy.params)) for (const [k, v] of Object.entries(params)) row[`s.${s}.${k}`] = v;
    row.verified = rec.verified;
    row.error = rec.error ?? null;
    if (rec.metrics) Object.assign(row, flattenMetrics(rec.metrics));
    row.workload_spec = r.workload.spec;
    row.strategy_spec = r.strategy.spec;
    row.log = rec.log ?? null;
    rows.push(row);
  }
  return { columns, rows };
}

function csvCell(v: Cell): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(table: ResultsTable): string {
  const lines = [table.columns.map((c) => csvCell(c)).join(',')];
  for (const row of table.rows) lines.push(table.columns.map((c) => csvCell(row[c] ?? null)).join(','));
  return lines.join('\n') + '\n';
}

/** results.csv and results.json (an array of the same rows, keys in column order). */
export function writeResults(dir: string, table: ResultsTable): void {
  writeFileAtomic(path.join(dir, 'results.csv'), toCsv(table));
  writeJsonAtomic(
    path.join(dir, 'results.json'),
    table.rows.map((row) => Object.fromEntries(table.columns.map((c) => [c, row[c] ?? null]))),
  );
}
