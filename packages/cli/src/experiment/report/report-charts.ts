import { ReportData } from './report-data';

/** A Vega-Lite spec (plain JSON). */
export type VegaLiteSpec = Record<string, unknown>;

export interface ReportChart {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  /** Its data is one of the page's named datasets (runs, cdf, presence, pairs), given to Vega-Lite at render time. */
  readonly spec: VegaLiteSpec;
  /**
   * Faceted into panels that wrap: the page sets the spec's `columns` to what fits the window,
   * each panel `panelWidth` wide.
   */
  readonly panelWidth?: number;
}

/** Okabe & Ito's palette: told apart with the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'] as const;

const PANEL = 240;
const HEIGHT = 170;

/** One panel per backend and workload in the experiment's order, wrapped to the window (the page sets `columns`). */
function panels(d: ReportData): Record<string, unknown> {
  const order = d.backends.flatMap((b) => d.workloads.map((w) => `${b} · ${w}`));
  return {
    transform: [{ calculate: "datum.backend + ' · ' + datum.workload", as: 'panel' }],
    facet: { field: 'panel', type: 'nominal', sort: order, title: null, header: { labelFontSize: 12, labelLimit: PANEL } },
    columns: 1,
  };
}

function color(d: ReportData, legend = true): Record<string, unknown> {
  const range = d.strategies.map((_, i) => PALETTE[i % PALETTE.length]);
  return {
    field: 'strategy',
    type: 'nominal',
    sort: d.strategies,
    scale: { domain: d.strategies, range },
    ...(legend ? { legend: { orient: 'bottom', direction: 'vertical', columns: 2, labelLimit: 520, title: 'strategy' } } : { legend: null }),
  };
}

/** Mean per strategy as horizontal bars (the colour names the strategy), ± one standard deviation. */
function perStrategyBars(d: ReportData, field: string, title: string): VegaLiteSpec {
  const y = { field: 'strategy', type: 'nominal', sort: d.strategies, title: null, axis: null };
  return {
    data: { name: 'runs' },
    ...panels(d),
    spec: {
      width: PANEL,
      height: { step: 16 },
      layer: [
        {
          mark: { type: 'bar', tooltip: true },
          encoding: { y, x: { aggregate: 'mean', field, type: 'quantitative', title, axis: { tickCount: 4, labelOverlap: 'greedy' } }, color: color(d) },
        },
        { mark: { type: 'errorbar', extent: 'stdev', ticks: true }, encoding: { y, x: { field, type: 'quantitative', title } } },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  };
}

/** The report's charts, one Vega-Lite spec each, on the page's named datasets. */
export function reportCharts(d: ReportData, schema: string): ReportChart[] {
  const base = {
    $schema: schema,
    config: { view: { stroke: '#ddd' }, font: 'system-ui, sans-serif', axis: { labelOverlap: 'greedy', labelFontSize: 11, titleFontSize: 11 } },
  };
  const bars = (id: string, title: string, caption: string, field: string, axis: string): ReportChart => ({
    id,
    title,
    caption,
    spec: { ...base, ...perStrategyBars(d, field, axis) },
    panelWidth: PANEL,
  });
  const charts: ReportChart[] = [
    {
      id: 'chart-latency-cdf',
      title: 'Fault latency CDF',
      caption: 'Distribution of demand-fault latency per strategy (quantiles averaged over the repetitions).',
      spec: {
        ...base,
        data: { name: 'cdf' },
        ...panels(d),
        spec: {
          width: PANEL,
          height: HEIGHT,
          mark: { type: 'line', interpolate: 'step-after', clip: true },
          encoding: {
            x: { field: 'latencyUs', type: 'quantitative', scale: { type: 'log' }, title: 'fault latency (µs)', axis: { tickCount: 4, format: '~s' } },
            y: { field: 'p', type: 'quantitative', title: 'fraction of faults', scale: { domain: [0, 1] } },
            color: color(d),
          },
        },
        resolve: { scale: { x: 'independent' } },
      },
      panelWidth: PANEL,
    },
    bars('chart-workload-time', 'Workload time', 'Wall time of the restored workload (what the restore costs the process): mean over the repetitions, ± one standard deviation.', 'workloadMs', 'workload time (ms)'),
    bars('chart-stall', 'Stall time', 'Time the process waited at faulting accesses per run (with pre-copy rounds, all after the switch-over): mean over the repetitions, ± one standard deviation.', 'stallMs', 'stall time (ms)'),
    bars(
      'chart-downtime',
      'Downtime',
      'Source stopped to the restored workload running: from the switch-over after pre-copy rounds, from the restore start for post-copy (the source stops before it). Mean over the repetitions, ± one standard deviation.',
      'downtimeMs',
      'downtime (ms)',
    ),
    bars('chart-transfer', 'Total transfer', 'Everything sent to the destination (pre-copy rounds with their re-sends, prefills, copies): mean over the repetitions, ± one standard deviation.', 'transferMiB', 'transfer (MiB)'),
    bars('chart-faults', 'Demand faults', 'Missing-page faults the workload took: mean over the repetitions, ± one standard deviation.', 'demandFaults', 'demand faults'),
    bars('chart-late', 'Late prefetches', 'Faults on a page a strategy had already asked for, before its copy landed: mean over the repetitions, ± one standard deviation.', 'latePrefetches', 'late prefetches'),
    {
      id: 'chart-presence',
      title: 'Pages present over time',
      caption: 'Fraction of the image present in the restored processes from the restore start, one line per run.',
      spec: {
        ...base,
        data: { name: 'presence' },
        ...panels(d),
        spec: {
          width: PANEL,
          height: HEIGHT,
          mark: { type: 'line', interpolate: 'step-after', opacity: 0.8 },
          encoding: {
            x: { field: 'tMs', type: 'quantitative', title: 'time since restore start (ms)', axis: { tickCount: 4 } },
            y: { field: 'present', type: 'quantitative', title: 'pages present', axis: { format: '%' }, scale: { domain: [0, 1] } },
            color: color(d),
            detail: { field: 'run', type: 'nominal' },
          },
        },
        resolve: { scale: { x: 'independent' } },
      },
      panelWidth: PANEL,
    },
    {
      id: 'chart-accuracy-coverage',
      title: 'Prefetch accuracy vs coverage',
      caption:
        'Per run: accuracy = prefetched pages later touched / prefetched pages; coverage = faults avoided / faults demand paging would take. Runs that prefetched nothing are not shown.',
      spec: {
        ...base,
        data: { name: 'runs' },
        transform: [{ filter: 'datum.prefetchAccuracy !== null && datum.coverage !== null' }],
        facet: { field: 'backend', type: 'nominal', sort: d.backends, title: null },
        columns: 1,
        spec: {
          width: PANEL,
          height: PANEL,
          mark: { type: 'point', filled: true, size: 70, tooltip: { content: 'data' } },
          encoding: {
            x: { field: 'coverage', type: 'quantitative', title: 'coverage', scale: { domain: [0, 1] }, axis: { format: '%' } },
            y: { field: 'prefetchAccuracy', type: 'quantitative', title: 'prefetch accuracy', scale: { domain: [0, 1] }, axis: { format: '%' } },
            color: color(d),
            shape: { field: 'workload', type: 'nominal', sort: d.workloads, legend: { orient: 'bottom' } },
          },
        },
      },
      panelWidth: PANEL,
    },
  ];
  if (d.pairs.length > 0) {
    charts.push({
      id: 'chart-sim-vs-linux',
      title: 'Simulator vs Linux',
      caption: 'Each point one workload and strategy that ran on both backends (means over the repetitions); on the diagonal the simulator predicted Linux exactly.',
      spec: {
        ...base,
        data: { name: 'pairs' },
        facet: { field: 'metric', type: 'nominal', title: null },
        columns: 1,
        spec: {
          width: PANEL,
          height: PANEL,
          layer: [
            {
              mark: { type: 'point', filled: true, size: 70, tooltip: { content: 'data' } },
              encoding: {
                x: { field: 'sim', type: 'quantitative', title: 'simulator', axis: { tickCount: 4 } },
                y: { field: 'linux', type: 'quantitative', title: 'Linux', axis: { tickCount: 4 } },
                color: color(d),
                shape: { field: 'workload', type: 'nominal', sort: d.workloads, legend: { orient: 'bottom' } },
              },
            },
            {
              transform: [
                { aggregate: [{ op: 'max', field: 'sim', as: 'a' }, { op: 'max', field: 'linux', as: 'b' }] },
                { calculate: 'max(datum.a, datum.b)', as: 'top' },
                { calculate: '0', as: 'zero' },
              ],
              mark: { type: 'rule', color: '#999', strokeDash: [4, 3] },
              encoding: {
                x: { field: 'zero', type: 'quantitative' },
                y: { field: 'zero', type: 'quantitative' },
                x2: { field: 'top' },
                y2: { field: 'top' },
              },
            },
          ],
        },
        resolve: { scale: { x: 'independent', y: 'independent' } },
      },
      panelWidth: PANEL,
    });
  }
  return charts;
}
