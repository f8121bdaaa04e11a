import { ReportData } from './report-data';

/** A Vega-Lite spec (plain JSON). */
export type VegaLiteSpec = Record<string, unknown>;

export interface ReportChart {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: VegaLiteSpec;
}

const WIDTH = 260;
const HEIGHT = 180;

function facets(d: ReportData): Record<string, unknown> {
  return {
    row: { field: 'backend', type: 'nominal', sort: d.backends, title: null },
    column: { field: 'workload', type: 'nominal', sort: d.workloads, title: null },
  };
}

function color(d: ReportData, legend = true): Record<string, unknown> {
  return {
    field: 'strategy',
    type: 'nominal',
    sort: d.strategies,
    scale: { domain: d.strategies },
    ...(legend ? { legend: { orient: 'bottom', columns: 2, labelLimit: 400 } } : { legend: null }),
  };
}

function perStrategyBars(d: ReportData, field: string, title: string): VegaLiteSpec {
  const x = { field: 'strategy', type: 'nominal', sort: d.strategies, title: null, axis: { labelAngle: -35, labelLimit: 160 } };
  return {
    data: { values: d.runs },
    facet: facets(d),
    spec: {
      width: { step: 22 },
      height: HEIGHT,
      layer: [
        {
          mark: { type: 'bar', tooltip: true },
          encoding: {
            x,
            y: { aggregate: 'mean', field, type: 'quantitative', title },
            color: color(d),
          },
        },
        {
          mark: { type: 'errorbar', extent: 'stdev', ticks: true },
          encoding: {
            x,
            y: { field, type: 'quantitative', title },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** The report's charts, one Vega-Lite spec each, data inline. */
export function reportCharts(d: ReportData, schema: string): ReportChart[] {
  const base = { $schema: schema, config: { view: { stroke: '#ddd' }, font: 'system-ui, sans-serif' } };
  return [
    {
      id: 'chart-latency-cdf',
      title: 'Fault latency CDF',
      caption: 'Distribution of demand-fault latency per strategy (quantiles averaged over the repetitions).',
      spec: {
        ...base,
        data: { values: d.cdf },
        facet: facets(d),
        spec: {
          width: WIDTH,
          height: HEIGHT,
          mark: { type: 'line', interpolate: 'step-after', clip: true },
          encoding: {
            x: { field: 'latencyUs', type: 'quantitative', scale: { type: 'log' }, title: 'fault latency (µs)' },
            y: { field: 'p', type: 'quantitative', title: 'fraction of faults', scale: { domain: [0, 1] } },
            color: color(d),
          },
        },
        resolve: { scale: { x: 'independent' } },
      },
    },
    {
      id: 'chart-stall',
      title: 'Stall time',
      caption: 'Sum of fault latencies per run: mean over the repetitions, error bars ± one standard deviation.',
      spec: { ...base, ...perStrategyBars(d, 'stallMs', 'stall time (ms)') },
    },
    {
      id: 'chart-faults',
      title: 'Demand faults',
      caption: 'Missing-page faults the workload took: mean over the repetitions, error bars ± one standard deviation.',
      spec: { ...base, ...perStrategyBars(d, 'demandFaults', 'demand faults') },
    },
    {
      id: 'chart-presence',
      title: 'Pages present over time',
      caption: 'Fraction of the image present in the restored processes from the restore start, one line per run.',
      spec: {
        ...base,
        data: { values: d.presence },
        facet: facets(d),
        spec: {
          width: WIDTH,
          height: HEIGHT,
          mark: { type: 'line', interpolate: 'step-after', opacity: 0.8 },
          encoding: {
            x: { field: 'tMs', type: 'quantitative', title: 'time since restore start (ms)' },
            y: { field: 'present', type: 'quantitative', title: 'pages present', axis: { format: '%' }, scale: { domain: [0, 1] } },
            color: color(d),
            detail: { field: 'run', type: 'nominal' },
          },
        },
        resolve: { scale: { x: 'independent' } },
      },
    },
    {
      id: 'chart-accuracy-coverage',
      title: 'Prefetch accuracy vs coverage',
      caption:
        'Per run: accuracy = prefetched pages later touched / prefetched pages; coverage = faults avoided / faults demand paging would take. Runs that prefetched nothing are not shown.',
      spec: {
        ...base,
        data: { values: d.runs.filter((r) => r.prefetchAccuracy !== null && r.coverage !== null) },
        facet: { column: { field: 'backend', type: 'nominal', sort: d.backends, title: null } },
        spec: {
          width: WIDTH,
          height: WIDTH,
          mark: { type: 'point', filled: true, size: 70, tooltip: { content: 'data' } },
          encoding: {
            x: { field: 'coverage', type: 'quantitative', title: 'coverage', scale: { domain: [0, 1] }, axis: { format: '%' } },
            y: { field: 'prefetchAccuracy', type: 'quantitative', title: 'prefetch accuracy', scale: { domain: [0, 1] }, axis: { format: '%' } },
            color: color(d),
            shape: { field: 'workload', type: 'nominal', sort: d.workloads, legend: { orient: 'bottom' } },
          },
        },
      },
    },
  ];
}
