import { PAGE_SIZE, RunResult } from '@restorelab/core';
import { bytesToMiB, fixed, nsToMs, nsToUs, percent } from './numbers';
import { Column, renderTable } from './table';

export const RUN_COLUMNS: readonly Column[] = [
  { header: 'strategy', align: 'left' },
  { header: 'faults', align: 'right' },
  { header: 'stall ms', align: 'right' },
  { header: 'p50 us', align: 'right' },
  { header: 'p99 us', align: 'right' },
  { header: 'restore ms', align: 'right' },
  { header: 'workload ms', align: 'right' },
  { header: 'down ms', align: 'right' },
  { header: 'sent MiB', align: 'right' },
  { header: 'demand', align: 'right' },
  { header: 'prefetch', align: 'right' },
  { header: 'precopy', align: 'right' },
  { header: 'backgr', align: 'right' },
  { header: 'accuracy', align: 'right' },
  { header: 'coverage', align: 'right' },
  { header: 'late', align: 'right' },
  { header: 'decide p50 us', align: 'right' },
  { header: 'decide p99 us', align: 'right' },
  { header: 'dups', align: 'right' },
  { header: 'PSS MiB', align: 'right' },
  { header: 'failed', align: 'right' },
  { header: 'verified', align: 'left' },
];

/** One table row per run: the cells under RUN_COLUMNS. */
export function runRow(r: RunResult): string[] {
  const m = r.metrics;
  return [
    r.strategy,
    String(m.demandFaults),
    fixed(nsToMs(m.stallNs), 1),
    fixed(nsToUs(m.stallLatencyNs.p50), 1),
    fixed(nsToUs(m.stallLatencyNs.p99), 1),
    fixed(nsToMs(m.restoreNs), 1),
    fixed(nsToMs(m.workloadNs), 1),
    fixed(nsToMs(m.downtimeNs), 1),
    fixed(bytesToMiB(m.transferPages * PAGE_SIZE), 1),
    String(m.pagesCopied.demand),
    String(m.pagesCopied.prefetch),
    String(m.pagesCopied.precopy),
    String(m.pagesCopied.background),
    percent(m.prefetchAccuracy),
    percent(m.coverage),
    String(m.latePrefetches),
    m.decisions > 0 ? fixed(nsToUs(m.decisionLatencyNs.p50), 1) : '-',
    m.decisions > 0 ? fixed(nsToUs(m.decisionLatencyNs.p99), 1) : '-',
    String(m.duplicateCopies),
    fixed(bytesToMiB(m.pssBytes), 1),
    String(m.strategyFailures),
    // '-': a real program restored by criu, whose memory nobody but the program can compare
    r.verified ? '✓' : r.backend === 'criu-lazy-pages' && m.mismatchedPages === 0 ? '-' : '✗',
  ];
}

/** The line above the table: what ran, where, with which seed. */
export function runHeader(backend: string, workload: string, seed: number): string {
  return `backend ${backend} · workload ${workload} · seed ${seed}`;
}

export function renderRunTable(results: readonly RunResult[]): string {
  return renderTable(RUN_COLUMNS, results.map(runRow));
}
