// A notebook's first cell, in JavaScript with nodejs-polars (docs/notebook.md has it in Python):
// the fault-latency CDF of every run of a matrix, by strategy, from results.csv and the per-kind
// tables of `restorelab log-tables`.
//
//   restorelab matrix examples/quick.yaml --out runs/quick
//   restorelab log-tables runs/quick --out runs/quick/tables --kind FaultResolved
//   node examples/notebook/latency-cdf.mjs runs/quick      # writes runs/quick/latency-cdf.vl.json
import fs from 'node:fs';
import path from 'node:path';
import pl from 'nodejs-polars';

const dir = process.argv[2] ?? 'runs/quick';
const results = pl.readCSV(fs.readFileSync(path.join(dir, 'results.csv'), 'utf8'));

const curves = [];
for (const row of results.select('run', 'backend', 'workload', 'strategy').toRecords()) {
  const table = path.join(dir, 'tables', row.run, 'FaultResolved.arrow');
  if (!fs.existsSync(table)) continue; // a run without demand faults
  const latency = pl.readIPC(fs.readFileSync(table)).select(pl.col('latency_ns').div(1000).alias('us')).sort('us');
  const n = latency.height;
  curves.push(latency.withColumns(pl.lit(row.strategy).alias('strategy'), pl.lit(row.workload).alias('workload'), pl.lit(row.run).alias('run')).withRowCount('rank').withColumns(pl.col('rank').add(1).div(n).alias('fraction')));
}
const all = pl.concat(curves);

// p50 and p99 per workload and strategy, over its runs
const summary = all
  .groupBy(['workload', 'strategy'])
  .agg(pl.col('us').quantile(0.5).alias('p50_us'), pl.col('us').quantile(0.99).alias('p99_us'), pl.col('run').nUnique().alias('runs'))
  .sort(['workload', 'strategy']);
console.log(summary.toString());

const spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: 'demand-fault latency (page server view)',
  data: { values: all.select('workload', 'strategy', 'run', 'us', 'fraction').toRecords() },
  facet: { column: { field: 'workload' } },
  spec: {
    mark: 'line',
    encoding: {
      x: { field: 'us', type: 'quantitative', scale: { type: 'log' }, title: 'latency (us)' },
      y: { field: 'fraction', type: 'quantitative', title: 'fraction of faults' },
      color: { field: 'strategy' },
      detail: { field: 'run' },
    },
  },
};
const out = path.join(dir, 'latency-cdf.vl.json');
fs.writeFileSync(out, JSON.stringify(spec));
console.log(`wrote ${out} (${all.height} faults from ${curves.length} runs)`);
