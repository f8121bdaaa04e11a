import { PAGE_SIZE } from '@restorelab/core';
import { PlannedRun } from '../expand-experiment';
import { RunRecord } from '../output-dir';

/** One finished run as the charts see it. */
export interface RunPoint {
  readonly run: string;
  readonly backend: string;
  readonly workload: string;
  readonly strategy: string;
  readonly repetition: number;
  readonly verified: boolean;
  readonly stallMs: number;
  readonly demandFaults: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly restoreMs: number;
  readonly workloadMs: number;
  readonly latePrefetches: number;
  readonly pagesCopied: number;
  readonly prefetchAccuracy: number | null;
  readonly coverage: number | null;
  /** Source stopped to the workload running (pre-copy rounds: from the switch-over). */
  readonly downtimeMs: number;
  /** Everything sent to the destination: copies, prefills, pre-copy rounds. */
  readonly transferMiB: number;
}

export interface CdfPoint {
  readonly backend: string;
  readonly workload: string;
  readonly strategy: string;
  readonly p: number;
  readonly latencyUs: number;
}

export interface PresencePoint {
  readonly backend: string;
  readonly workload: string;
  readonly strategy: string;
  readonly run: string;
  readonly repetition: number;
  readonly tMs: number;
  readonly present: number;
}

/** Mean, standard deviation and count of a group's values. */
export interface Stat {
  readonly mean: number | null;
  readonly sd: number | null;
  readonly n: number;
}

export interface GroupRow {
  readonly backend: string;
  readonly workload: string;
  readonly strategy: string;
  readonly runs: number;
  readonly verified: number;
  readonly stallMs: Stat;
  readonly demandFaults: Stat;
  readonly p50Us: Stat;
  readonly p99Us: Stat;
  readonly restoreMs: Stat;
  readonly prefetchAccuracy: Stat;
  readonly coverage: Stat;
  readonly downtimeMs: Stat;
  readonly transferMiB: Stat;
}

/** One (workload, strategy) pair that ran on both the simulator and Linux: a metric's means side by side. */
export interface BackendPair {
  readonly workload: string;
  readonly strategy: string;
  readonly metric: string;
  readonly sim: number;
  readonly linux: number;
}

/** The metrics compared between the backends, as RunPoint fields with their titles. */
export const PAIRED_METRICS: readonly { readonly field: 'demandFaults' | 'workloadMs' | 'stallMs' | 'downtimeMs'; readonly title: string }[] = [
  { field: 'demandFaults', title: 'demand faults' },
  { field: 'workloadMs', title: 'workload time (ms)' },
  { field: 'stallMs', title: 'stall time (ms)' },
  { field: 'downtimeMs', title: 'downtime (ms)' },
];

export interface ReportData {
  readonly name: string;
  readonly description?: string;
  readonly plannedRuns: number;
  readonly failedRuns: number;
  /** Orders for legends and axes: the experiment's expansion order. */
  readonly strategies: readonly string[];
  readonly workloads: readonly string[];
  readonly backends: readonly string[];
  readonly runs: readonly RunPoint[];
  readonly cdf: readonly CdfPoint[];
  readonly presence: readonly PresencePoint[];
  readonly pairs: readonly BackendPair[];
  readonly groups: readonly GroupRow[];
}

const MIB = 1 << 20;

/** Above this many runs, the presence chart shows the first repetition of each combination only. */
const PRESENCE_ALL_REPETITIONS_UP_TO = 300;

function uniqueInOrder(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

export function stat(values: readonly (number | null)[]): Stat {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: null, sd: null, n };
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}

/** The report's datasets from the plan and the records of the finished runs. */
export function buildReportData(
  meta: { name: string; description?: string },
  planned: readonly PlannedRun[],
  records: ReadonlyMap<string, RunRecord>,
): ReportData {
  const finished = planned.filter((r) => records.get(r.id)?.metrics !== undefined);
  const failedRuns = planned.filter((r) => records.get(r.id)?.error !== undefined).length;
  const runs: RunPoint[] = finished.map((r) => {
    const rec = records.get(r.id)!;
    const m = rec.metrics!;
    return {
      run: r.id,
      backend: r.backend,
      workload: r.workload.label,
      strategy: r.strategy.label,
      repetition: r.repetition,
      verified: rec.verified,
      stallMs: m.stallNs / 1e6,
      demandFaults: m.demandFaults,
      p50Us: m.stallLatencyNs.p50 / 1e3,
      p99Us: m.stallLatencyNs.p99 / 1e3,
      restoreMs: m.restoreNs / 1e6,
      workloadMs: m.workloadNs / 1e6,
      latePrefetches: m.latePrefetches,
      pagesCopied: m.pagesCopied.demand + m.pagesCopied.prefetch + m.pagesCopied.precopy + m.pagesCopied.background,
      prefetchAccuracy: m.prefetchAccuracy,
      coverage: m.coverage,
      downtimeMs: m.downtimeNs / 1e6,
      transferMiB: (m.transferPages * PAGE_SIZE) / MIB,
    };
  });

  const runById = new Map(runs.map((p) => [p.run, p]));
  const groupKey = (r: PlannedRun) => JSON.stringify([r.backend, r.workload.label, r.strategy.label]);
  const groups = new Map<string, PlannedRun[]>();
  for (const r of finished) {
    const k = groupKey(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }

  const cdf: CdfPoint[] = [];
  const groupRows: GroupRow[] = [];
  for (const members of groups.values()) {
    const first = members[0];
    // Quantile averaging (Vincentization) over the repetitions.
    const curves = members.map((r) => records.get(r.id)!.summary?.latencyQuantiles ?? []).filter((q) => q.length > 0);
    if (curves.length > 0) {
      const len = Math.min(...curves.map((q) => q.length));
      for (let k = 0; k < len; k++) {
        const latency = curves.reduce((s, q) => s + q[k], 0) / curves.length;
        if (latency > 0) {
          cdf.push({
            backend: first.backend,
            workload: first.workload.label,
            strategy: first.strategy.label,
            p: len > 1 ? k / (len - 1) : 1,
            latencyUs: latency / 1e3,
          });
        }
      }
    }
    const points = members.map((m) => runById.get(m.id)!);
    groupRows.push({
      backend: first.backend,
      workload: first.workload.label,
      strategy: first.strategy.label,
      runs: members.length,
      verified: points.filter((p) => p.verified).length,
      stallMs: stat(points.map((p) => p.stallMs)),
      demandFaults: stat(points.map((p) => p.demandFaults)),
      p50Us: stat(points.map((p) => p.p50Us)),
      p99Us: stat(points.map((p) => p.p99Us)),
      restoreMs: stat(points.map((p) => p.restoreMs)),
      prefetchAccuracy: stat(points.map((p) => p.prefetchAccuracy)),
      coverage: stat(points.map((p) => p.coverage)),
      downtimeMs: stat(points.map((p) => p.downtimeMs)),
      transferMiB: stat(points.map((p) => p.transferMiB)),
    });
  }

  const presence: PresencePoint[] = [];
  const allReps = finished.length <= PRESENCE_ALL_REPETITIONS_UP_TO;
  const firstOfGroup = new Set([...groups.values()].map((g) => g[0].id));
  for (const r of finished) {
    if (!allReps && !firstOfGroup.has(r.id)) continue;
    const s = records.get(r.id)!.summary;
    if (!s) continue;
    const total = s.totalPages > 0 ? s.totalPages : 1;
    s.presence.tNs.forEach((t, i) =>
      presence.push({
        backend: r.backend,
        workload: r.workload.label,
        strategy: r.strategy.label,
        run: r.id,
        repetition: r.repetition,
        tMs: t / 1e6,
        present: s.presence.pages[i] / total,
      }),
    );
  }

  const pairs: BackendPair[] = [];
  const mean = (backend: string, workload: string, strategy: string, field: (typeof PAIRED_METRICS)[number]['field']) =>
    stat(runs.filter((p) => p.backend === backend && p.workload === workload && p.strategy === strategy).map((p) => p[field])).mean;
  for (const workload of uniqueInOrder(runs.map((r) => r.workload))) {
    for (const strategy of uniqueInOrder(runs.map((r) => r.strategy))) {
      for (const m of PAIRED_METRICS) {
        const sim = mean('sim', workload, strategy, m.field);
        const linux = mean('linux', workload, strategy, m.field);
        if (sim !== null && linux !== null) pairs.push({ workload, strategy, metric: m.title, sim, linux });
      }
    }
  }

  return {
    name: meta.name,
    ...(meta.description ? { description: meta.description } : {}),
    plannedRuns: planned.length,
    failedRuns,
    strategies: uniqueInOrder(planned.map((r) => r.strategy.label)),
    workloads: uniqueInOrder(planned.map((r) => r.workload.label)),
    backends: uniqueInOrder(planned.map((r) => r.backend)),
    runs,
    cdf,
    presence,
    pairs,
    groups: groupRows,
  };
}
