import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { readPlan } from './output-dir';
import { reportCharts } from './report/report-charts';
import { buildReportData } from './report/report-data';
import { runMatrix } from './run-matrix';
import { writeReport } from './write-outputs';

const QUICK = path.resolve(__dirname, '../../../../examples/quick.yaml');

/** Debian's `chromium` (CI installs it), or another Chromium on PATH. */
function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      const file = path.join(dir, name);
      if (dir && fs.existsSync(file)) return file;
    }
  }
  return undefined;
}

const chromium = findChromium();
if (!chromium) console.warn('report-chromium.test: SKIPPED: no chromium on PATH (install it: apt-get install -y chromium)');
const withChromium = chromium ? it : it.skip;

/** The DOM after the page's scripts ran (virtual time lets vega-embed's promises settle), in a window `width` px wide. */
function renderedDom(file: string, profile: string, width = 1400): string {
  const r = spawnSync(
    chromium!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--virtual-time-budget=30000',
      `--window-size=${width},1000`,
      '--dump-dom',
      `file://${file}`,
    ],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`chromium exited with ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** From the element with this id to the end tag that closes what it is in. */
function elementHtml(dom: string, id: string, until = '</section>'): string {
  const start = dom.indexOf(`id="${id}"`);
  if (start < 0) return '';
  const end = dom.indexOf(until, start);
  return dom.slice(start, end < 0 ? undefined : end);
}

describe('report.html', () => {
  let tmp: string;
  let dir: string;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-report-'));
    dir = path.join(tmp, 'quick');
    await runMatrix({ file: QUICK, out: dir, jobs: 2 });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('is self-contained: no external script, style or image', () => {
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts).toEqual(['<script>', '<script>', '<script>', '<script type="application/gzip" id="report-data">', '<script type="application/json" id="report-specs">', '<script>']);
    const markup = html.replace(/<script[^>]*>[\s\S]*?<\/script>/g, '');
    // (booleans: a failure must not print the megabytes of inlined Vega)
    expect({ external: /\b(src|href)=|<link\b|url\(/i.test(markup) }).toEqual({ external: false });
    expect({ inlined: ['/* vega ', '/* vega-lite ', '/* vega-embed '].every((s) => html.includes(s)) }).toEqual({ inlined: true });
  });

  withChromium('renders every chart in headless Chromium', () => {
    const plan = readPlan(dir);
    const ids = reportCharts(buildReportData(plan, plan.runs, new Map()), '').map((c) => c.id);
    // the simulator-vs-Linux chart only when both backends ran
    expect(ids).toEqual([
      'chart-latency-cdf',
      'chart-workload-time',
      'chart-stall',
      'chart-downtime',
      'chart-transfer',
      'chart-faults',
      'chart-late',
      'chart-presence',
      'chart-accuracy-coverage',
    ]);
    const dom = renderedDom(path.join(dir, 'report.html'), path.join(tmp, 'profile'));
    const body = /<body( data-charts=[^>]*)>/.exec(dom)?.[1] ?? '';
    expect(body).toContain('data-report="ready"');
    expect(body).toContain(`data-charts-rendered="${ids.length}"`);
    for (const id of ids) {
      const html = elementHtml(dom, id);
      expect({ id, rendered: /^id="[^"]+" data-rendered="true"/.test(html) }).toEqual({ id, rendered: true });
      expect({ id, svg: html.includes('<svg') }).toEqual({ id, svg: true });
      // drawn marks (lines, bars, points), not an empty frame
      expect({ id, marks: /class="mark-(line|rect|symbol|rule)[^"]*role-mark[^"]*"[^>]*>\s*<(path|g)/.test(html) }).toEqual({ id, marks: true });
    }
    // the tables have one row per strategy and workload, and one per run
    expect((elementHtml(dom, 'results-summary', '</table>').match(/<tr/g) ?? []).length).toBe(1 + 8);
    expect((elementHtml(dom, 'results-runs', '</table>').match(/<tr/g) ?? []).length).toBe(1 + 16);
  });

  withChromium('fits windows 1280 to 1920 px wide: no chart, table or the page wider than the window, five workloads too', async () => {
    const five = path.join(tmp, 'five.yaml');
    const workloads = ['zipf', 'seq', 'stride', 'hotcold', 'uniform'].map((w) => `  - name: ${w}\n    params: { pages: 512 }`).join('\n');
    fs.writeFileSync(five, `name: five\nbackends: [sim]\nrepetitions: 1\nseed: 1\nworkloads:\n${workloads}\nstrategies:\n  - demand-only\n  - neighbor-prefetch:window=16\n  - hot-first-precopy\n  - thp-guard,neighbor-prefetch:window=8\n`);
    await runMatrix({ file: five, out: path.join(tmp, 'five'), jobs: 2 });
    for (const [report, charts] of [
      [path.join(dir, 'report.html'), 9],
      [path.join(tmp, 'five', 'report.html'), 9],
    ] as const) {
      for (const width of [1280, 1600, 1920]) {
        const body = /<body( data-charts=[^>]*)>/.exec(renderedDom(report, path.join(tmp, `profile-${width}`), width))?.[1] ?? '';
        expect({ width, body }).toEqual({ width, body: expect.stringContaining(`data-charts-rendered="${charts}" data-report="ready" data-overflow=""`) });
      }
    }
    // and the check can fail: a phone-sized window does not fit the tables
    const narrow = /<body( data-charts=[^>]*)>/.exec(renderedDom(path.join(dir, 'report.html'), path.join(tmp, 'profile-narrow'), 600))?.[1] ?? '';
    expect(narrow).toMatch(/data-overflow="[^"]*results-runs[^"]*"/);
  });

  it('embeds its data once, as columns and rows, compressed: the page is under 1 MB', () => {
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    const data = /<script type="application\/gzip" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1];
    const specs = /<script type="application\/json" id="report-specs">([\s\S]*?)<\/script>/.exec(html)![1];
    const parsed = JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as Record<string, { columns: string[]; rows: unknown[][] }>;
    expect(Object.keys(parsed)).toEqual(['runs', 'cdf', 'presence', 'pairs']);
    expect(parsed.runs.rows).toHaveLength(16);
    expect(parsed.runs.columns).toContain('latePrefetches');
    // the specs name their datasets instead of holding rows
    expect(specs).not.toContain('"values"');
    expect(data.length + specs.length).toBeLessThan(100_000);
    // Vega, Vega-Lite and vega-embed are most of it
    expect(html.length).toBeLessThan(1_000_000);
  });

  withChromium('renders an empty chart set without errors (no run finished yet)', () => {
    const plan = readPlan(dir);
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    writeReport(empty, plan, new Map());
    const dom = renderedDom(path.join(empty, 'report.html'), path.join(tmp, 'profile-empty'));
    expect(/<body( data-charts=[^>]*)>/.exec(dom)?.[1]).toContain('data-report="ready"');
  });
});
