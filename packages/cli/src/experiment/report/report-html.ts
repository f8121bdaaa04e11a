import { gzipSync } from 'zlib';
import { reportCharts } from './report-charts';
import { ReportData, Stat } from './report-data';
import { InlineScript, vegaScripts } from './vega-assets';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function num(x: number | null, digits: number): string {
  return x === null || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

function meanSd(s: Stat, digits: number, scale = 1): string {
  if (s.mean === null) return '–';
  const mean = num(s.mean * scale, digits);
  return s.n > 1 && s.sd !== null ? `${mean} ± ${num(s.sd * scale, digits)}` : mean;
}

/**
 * A dataset as columns and rows of values (numbers to 5 significant digits): the keys of each row
 * once, not once per row.
 */
export function compactRows(rows: readonly object[]): { columns: string[]; rows: unknown[][] } {
  const columns = rows.length > 0 ? Object.keys(rows[0]) : [];
  const round = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(5)) : v);
  return { columns, rows: rows.map((r) => columns.map((c) => round((r as Record<string, unknown>)[c]))) };
}

/** The report's datasets as gzip in base64 (the page inflates them with DecompressionStream). */
export function packData(value: unknown): string {
  return gzipSync(Buffer.from(JSON.stringify(value)), { level: 9 }).toString('base64');
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1840px; padding: 0 1rem; color: #222; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.caption, .meta { color: #555; max-width: 60rem; }
table { border-collapse: collapse; font-size: 12px; margin-top: .5rem; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 3px 6px; text-align: right; white-space: nowrap; }
th { white-space: normal; vertical-align: bottom; }
.table { max-width: 100%; overflow-x: auto; }
th { background: #f6f6f6; position: sticky; top: 0; }
td.t, th.t { text-align: left; }
td.s { white-space: normal; overflow-wrap: anywhere; min-width: 9rem; max-width: 16rem; }
tr.bad td { color: #b00020; }
.chart { overflow-x: auto; }
details { margin-top: 1rem; }
`;

const PAGE_SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById('report-specs').textContent);
  var datasets = {};
  var body = document.body;
  // the datasets: gzip, base64 (a tenth of the JSON)
  function loadData() {
    var b64 = document.getElementById('report-data').textContent.trim();
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text().then(function (text) {
      var packed = JSON.parse(text);
      Object.keys(packed).forEach(function (name) {
        var cols = packed[name].columns;
        datasets[name] = packed[name].rows.map(function (r) {
          var o = {};
          for (var j = 0; j < cols.length; j++) o[cols[j]] = r[j];
          return o;
        });
      });
    });
  }
  var done = 0;
  // wider than the window: what the reader would have to scroll to see (the tests check there is none)
  function overflowing() {
    var wide = [];
    if (document.documentElement.scrollWidth > window.innerWidth) wide.push('page');
    document.querySelectorAll('.chart, .table').forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) wide.push(el.id || el.firstElementChild.id);
    });
    return wide.join(' ');
  }
  loadData().then(function () { return Promise.all(specs.map(function (c) {
    var el = document.getElementById(c.id);
    var spec = c.spec;
    spec.datasets = datasets;
    // as many panels side by side as fit (axis, labels and padding about 45 px each, and the first column's axis title)
    if (c.panelWidth) spec.columns = Math.max(1, Math.floor((el.clientWidth - 60) / (c.panelWidth + 45)));
    return vegaEmbed(el, spec, { renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } })
      .then(function () {
        el.setAttribute('data-rendered', 'true');
        done++;
        body.setAttribute('data-charts-rendered', String(done));
      }, function (e) {
        el.setAttribute('data-rendered', 'error');
        el.setAttribute('data-error', String((e && e.message) || e));
        el.textContent = 'This chart failed to render: ' + ((e && e.message) || e);
        throw e;
      });
  })); }).then(function () {
    body.setAttribute('data-overflow', overflowing());
    body.setAttribute('data-report', 'ready');
  }, function () { body.setAttribute('data-report', 'error'); });
})();
`;

function groupTable(d: ReportData): string {
  const head = [
    ['backend', 't'],
    ['workload', 't'],
    ['strategy', 't'],
    ['runs', ''],
    ['verified', ''],
    ['stall ms', ''],
    ['demand faults', ''],
    ['p50 µs', ''],
    ['p99 µs', ''],
    ['restore ms', ''],
    ['downtime ms', ''],
    ['sent MiB', ''],
    ['prefetch accuracy %', ''],
    ['coverage %', ''],
  ];
  const rows = d.groups.map((g) => {
    const cells = [
      esc(g.backend),
      esc(g.workload),
      esc(g.strategy),
      String(g.runs),
      `${g.verified}/${g.runs}`,
      meanSd(g.stallMs, 3),
      meanSd(g.demandFaults, 1),
      meanSd(g.p50Us, 1),
      meanSd(g.p99Us, 1),
      meanSd(g.restoreMs, 3),
      meanSd(g.downtimeMs, 3),
      meanSd(g.transferMiB, 1),
      meanSd(g.prefetchAccuracy, 1, 100),
      meanSd(g.coverage, 1, 100),
    ];
    const cls = g.verified < g.runs ? ' class="bad"' : '';
    return `<tr${cls}>${cells.map((c, i) => `<td${i === 2 ? ' class="t s"' : i < 3 ? ' class="t"' : ''}>${c}</td>`).join('')}</tr>`;
  });
  return `<table id="results-summary"><thead><tr>${head.map(([h, c]) => `<th${c ? ` class="${c}"` : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function runTable(d: ReportData): string {
  const head = ['run', 'backend', 'workload', 'strategy', 'rep', 'verified', 'stall ms', 'demand faults', 'p50 µs', 'p99 µs', 'restore ms', 'workload ms', 'downtime ms', 'transfer MiB', 'pages copied', 'accuracy %', 'coverage %'];
  const rows = d.runs.map((r) => {
    const cells = [
      esc(r.run),
      esc(r.backend),
      esc(r.workload),
      esc(r.strategy),
      String(r.repetition + 1),
      r.verified ? 'yes' : 'NO',
      num(r.stallMs, 3),
      String(r.demandFaults),
      num(r.p50Us, 1),
      num(r.p99Us, 1),
      num(r.restoreMs, 3),
      num(r.workloadMs, 3),
      num(r.downtimeMs, 3),
      num(r.transferMiB, 1),
      String(r.pagesCopied),
      r.prefetchAccuracy === null ? '–' : num(r.prefetchAccuracy * 100, 1),
      r.coverage === null ? '–' : num(r.coverage * 100, 1),
    ];
    return `<tr${r.verified ? '' : ' class="bad"'}>${cells.map((c, i) => `<td${i === 3 ? ' class="t s"' : i < 4 ? ' class="t"' : ''}>${c}</td>`).join('')}</tr>`;
  });
  return `<table id="results-runs"><thead><tr>${head.map((h, i) => `<th${i < 4 ? ' class="t"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function schemaUrl(scripts: readonly InlineScript[]): string {
  const vl = scripts.find((s) => s.name === 'vega-lite');
  const major = vl ? vl.version.split('.')[0] : '6';
  return `https://vega.github.io/schema/vega-lite/v${major}.json`;
}

/** report.html: one self-contained page (Vega, Vega-Lite and vega-embed inlined, data inline). */
export function renderReportHtml(d: ReportData): string {
  const scripts = vegaScripts();
  const charts = reportCharts(d, schemaUrl(scripts));
  const finished = d.runs.length;
  const status =
    `${finished} of ${d.plannedRuns} runs finished` +
    (d.failedRuns > 0 ? `, ${d.failedRuns} failed` : '') +
    (finished < d.plannedRuns ? ' (the rest are in other shards or not run yet)' : '') +
    '. Full results: results.csv and results.json; one Arrow event log per run in logs/.';
  const sections = charts
    .map(
      (c) =>
        `<section><h2>${esc(c.title)}</h2><p class="caption">${esc(c.caption)}</p><div class="chart" id="${c.id}" data-rendered="false"></div></section>`,
    )
    .join('\n');
  const inline = scripts.map((s) => `<script>/* ${s.name} ${s.version} */\n${s.code}\n</script>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="restorelab">
<title>${esc(d.name)} — restorelab report</title>
<style>${STYLE}</style>
${inline}
</head>
<body data-charts="${charts.length}" data-charts-rendered="0" data-report="loading">
<h1>${esc(d.name)}</h1>
${d.description ? `<p class="meta">${esc(d.description)}</p>` : ''}
<p class="meta">${esc(status)}</p>
${sections}
<section><h2>Results</h2>
<p class="caption">Per backend, workload and strategy: mean ± standard deviation over the repetitions.</p>
<div class="table">${groupTable(d)}</div>
<details><summary>Every run (${finished})</summary>
<div class="table">${runTable(d)}</div>
</details>
</section>
<script type="application/gzip" id="report-data">${packData({ runs: compactRows(d.runs), cdf: compactRows(d.cdf), presence: compactRows(d.presence), pairs: compactRows(d.pairs) })}</script>
<script type="application/json" id="report-specs">${scriptJson(charts.map((c) => ({ id: c.id, spec: c.spec, panelWidth: c.panelWidth })))}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
