import * as path from 'path';
import { MatrixPlan, readRecords, writeFileAtomic } from './output-dir';
import { buildReportData } from './report/report-data';
import { renderReportHtml } from './report/report-html';
import { buildResults, ResultsTable, writeResults } from './results-table';

/** results.csv, results.json and (unless told not to) report.html from the directory's records. */
export function writeOutputs(dir: string, plan: MatrixPlan, opts: { report?: boolean } = {}): ResultsTable {
  const records = readRecords(dir, plan.runs);
  const table = buildResults(plan.runs, records);
  writeResults(dir, table);
  if (opts.report !== false) writeReport(dir, plan, records);
  return table;
}

export function writeReport(dir: string, plan: MatrixPlan, records = readRecords(dir, plan.runs)): string {
  const file = path.join(dir, 'report.html');
  writeFileAtomic(file, renderReportHtml(buildReportData({ name: plan.name, description: plan.description }, plan.runs, records)));
  return file;
}
