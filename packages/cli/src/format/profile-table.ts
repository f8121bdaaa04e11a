import { ProfilePhase } from '@restorelab/core';
import { renderTable } from './table';

/** One run's phases, in the order they happened: set-up, the log's phases, and what is left of the run's wall time. */
export interface RunPhases {
  readonly stack: string;
  readonly phases: readonly ProfilePhase[];
  /** RestoreStarted to the last page present (the restore ms column) in wall time; undefined for a simulated run. */
  readonly restoreMs?: number;
}

/** The phases every run shared (start-up, workload generation), then one block per run, then the whole command. */
export function renderProfile(shared: readonly ProfilePhase[], runs: readonly RunPhases[], wholeMs: number): string {
  const row = (p: ProfilePhase) => [p.name, p.ms.toFixed(1), p.note ?? ''];
  const rows: string[][] = shared.map(row);
  for (const r of runs) {
    rows.push([`run of ${r.stack}`, r.phases.reduce((n, p) => n + p.ms, 0).toFixed(1), r.restoreMs === undefined ? 'restore simulated' : `restore ${r.restoreMs.toFixed(1)} ms`]);
    for (const p of r.phases) rows.push(row({ ...p, name: `  ${p.name}` }));
  }
  const restore = runs.reduce((n, r) => n + (r.restoreMs ?? 0), 0);
  rows.push(['whole command', wholeMs.toFixed(1), restore > 0 ? `${(wholeMs / restore).toFixed(2)}x the restore` : '']);
  return renderTable(
    [
      { header: 'phase', align: 'left' },
      { header: 'ms', align: 'right' },
      { header: 'note', align: 'left' },
    ],
    rows,
  );
}
