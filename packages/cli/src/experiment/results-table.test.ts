import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RunMetrics } from '@restorelab/core';
import { PlannedRun } from './expand-experiment';
import { RunRecord } from './output-dir';
import { buildResults, METRIC_COLUMNS, toCsv, writeResults } from './results-table';

function metrics(faults: number): RunMetrics {
  return {
    demandFaults: faults,
    latePrefetches: 1,
    stallNs: faults * 1000,
    stallLatencyNs: { p50: 1, p90: 2, p99: 3, max: 4 },
    serverStallNs: faults * 300,
    faultLatencyNs: { p50: 1, p90: 2, p99: 3, max: 4 },
    decisions: 2,
    decisionLatencyNs: { p50: 5, p90: 6, p99: 7, max: 8 },
    restoreNs: 5,
    workloadNs: 6,
    pagesCopied: { demand: faults, prefetch: 7, precopy: 0, background: 0 },
    bytesCopied: { demand: faults * 4096, prefetch: 7 * 4096, precopy: 0, background: 0 },
    copyCalls: 9,
    zeroPages: 0,
    prefilledPages: 0,
    duplicateCopies: 0,
    prefetchAccuracy: null,
    coverage: 0.5,
    unrestoredPages: 0,
    rssBytes: 10,
    pssBytes: 10,
    mismatchedPages: 0,
    verifiedPages: 12,
    strategyFailures: 0,
    events: 100,
    downtimeNs: 3,
    transferPages: faults + 7,
    precopy: null,
  };
}

function run(index: number, strategy: PlannedRun['strategy'], workloadParams: Record<string, number | string>): PlannedRun {
  return {
    id: `id${index}`,
    index,
    backend: 'sim',
    workload: { name: 'w', label: `w ${index}`, spec: `w:a=1,note="x, y"`, params: workloadParams },
    strategy,
    repetition: index % 2,
    seed: 1 + (index % 2),
  };
}

const demand = { label: 'demand-only', spec: 'demand-only', canonical: 'demand-only', params: { 'demand-only': {} } };
const neighbor = {
  label: 'neighbor-prefetch:window=4',
  spec: 'neighbor-prefetch:window=4',
  canonical: 'neighbor-prefetch:window=4,direction=forward',
  params: { 'neighbor-prefetch': { window: 4, direction: 'forward' } },
};
const runs = [run(0, demand, { pages: 64, seed: 1 }), run(1, neighbor, { pages: 64, theta: 0.9, seed: 2 }), run(2, demand, { pages: 64, seed: 1 })];
const records = new Map<string, RunRecord>([
  ['id2', { id: 'id2', verified: false, metrics: metrics(30), wallMs: 5, log: 'logs/id2.arrow' }],
  ['id0', { id: 'id0', verified: true, metrics: metrics(10), wallMs: 5, log: 'logs/id0.arrow' }],
  ['id1', { id: 'id1', verified: false, error: 'backend exploded, "badly"', wallMs: 5 }],
]);

describe('results table', () => {
  const table = buildResults(runs, records);

  it('has every parameter and every metric as columns, in a fixed order', () => {
    expect(table.columns).toEqual([
      'run',
      'index',
      'backend',
      'workload',
      'strategy',
      'repetition',
      'seed',
      'w.pages',
      'w.seed',
      'w.theta',
      's.neighbor-prefetch.window',
      's.neighbor-prefetch.direction',
      'verified',
      'error',
      ...METRIC_COLUMNS,
      'workload_spec',
      'strategy_spec',
      'log',
    ]);
  });

  it('has one row per finished run in plan order, with nulls where a column does not apply', () => {
    expect(table.rows.map((r) => r.run)).toEqual(['id0', 'id1', 'id2']);
    expect(table.rows[0]).toMatchObject({ 'w.theta': null, 's.neighbor-prefetch.window': null, verified: true, demandFaults: 10, 'faultLatencyNs.p99': 3, prefetchAccuracy: null });
    expect(table.rows[1]).toMatchObject({ 'w.theta': 0.9, 's.neighbor-prefetch.window': 4, verified: false, error: 'backend exploded, "badly"', demandFaults: null, log: null });
    expect(table.rows[2]).toMatchObject({ verified: false, demandFaults: 30, 'pagesCopied.prefetch': 7, log: 'logs/id2.arrow' });
    expect(buildResults(runs, new Map()).rows).toEqual([]);
  });

  it('writes CSV with quoting and JSON with the same rows', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-results-'));
    try {
      writeResults(dir, table);
      const csv = fs.readFileSync(path.join(dir, 'results.csv'), 'utf8');
      expect(csv).toBe(toCsv(table));
      const lines = csv.trimEnd().split('\n');
      expect(lines).toHaveLength(4);
      expect(lines[0].split(',')).toEqual(table.columns);
      expect(lines[2]).toContain(',"backend exploded, ""badly""",');
      expect(lines[1]).toContain(',"w:a=1,note=""x, y""",');
      expect(lines[1].startsWith('id0,0,sim,w 0,demand-only,0,1,64,1,,,,true,,10,1,10000,')).toBe(true);
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as Record<string, unknown>[];
      expect(json).toHaveLength(3);
      expect(json.map((r) => Object.keys(r))).toEqual([table.columns, table.columns, table.columns]);
      expect(json).toEqual(table.rows);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
