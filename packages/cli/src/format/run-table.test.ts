import { runResult } from '../testing/run-result-fixture';
import { renderRunTable, RUN_COLUMNS, runHeader, runRow } from './run-table';

describe('run table', () => {
  it('formats one run: ms with one decimal, us for percentiles, MiB for PSS, ✓', () => {
    const row = runRow(runResult());
    expect(Object.fromEntries(RUN_COLUMNS.map((c, i) => [c.header, row[i]]))).toEqual({
      strategy: 'demand-only',
      faults: '3210',
      'stall ms': '41.7',
      'p50 us': '13.0',
      'p99 us': '25.3',
      'restore ms': '812.3',
      'workload ms': '830.0',
      'down ms': '2.4',
      'sent MiB': '12.5',
      demand: '3210',
      prefetch: '0',
      precopy: '0',
      backgr: '0',
      accuracy: '-',
      coverage: '0.0%',
      late: '0',
      'decide p50 us': '-',
      'decide p99 us': '-',
      dups: '0',
      'PSS MiB': '12.5',
      failed: '0',
      verified: '✓',
    });
  });

  it('shows accuracy and coverage as percentages, failures and ✗', () => {
    const row = runRow(runResult({ verified: false }, { prefetchAccuracy: 0.8766, coverage: 0.5, strategyFailures: 1 }));
    const cell = (h: string) => row[RUN_COLUMNS.findIndex((c) => c.header === h)];
    expect([cell('accuracy'), cell('coverage'), cell('failed'), cell('verified')]).toEqual(['87.7%', '50.0%', '1', '✗']);
  });

  it('shows late prefetches and decision latency in their own columns', () => {
    const row = runRow(runResult({}, { latePrefetches: 7, duplicateCopies: 3, decisions: 40, decisionLatencyNs: { p50: 12_340, p90: 20_000, p99: 88_000, max: 90_000 } }));
    const cell = (h: string) => row[RUN_COLUMNS.findIndex((c) => c.header === h)];
    expect([cell('late'), cell('decide p50 us'), cell('decide p99 us'), cell('dups')]).toEqual(['7', '12.3', '88.0', '3']);
  });

  it('renders a header row and one aligned row per run', () => {
    const text = renderRunTable([runResult(), runResult({ strategy: 'eager' }, { demandFaults: 0 })]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^strategy\s+faults\s+stall ms/);
    expect(lines[2]).toMatch(/^eager\s+0\s/);
    // right-aligned numbers end in the same column as their header
    const end = lines[0].indexOf('faults') + 'faults'.length;
    expect(lines[1].slice(0, end)).toMatch(/3210$/);
    expect(lines[2].slice(0, end)).toMatch(/ 0$/);
  });

  it('names backend, workload and seed in the header line', () => {
    expect(runHeader('sim', 'zipf:pages=16', 7)).toBe('backend sim · workload zipf:pages=16 · seed 7');
  });
});
