import { RestoreBackend } from '../backend/restore-backend';
import { CopyCauseName, EventKind, FaultFlag } from '../events/event-kind';
import { EventStore } from '../events/event-store';
import { RunResult } from '../metrics/run-metrics';
import { runRestore } from '../run/run-restore';
import { StrategyRegistry } from '../strategy/strategy-registry';
import { builtInWorkloads } from '../workloads/built-in-workloads';
import { DefaultWorkloadRegistry } from '../workloads/workload-registry';

/**
 * The backend contract: the same workload and deterministic strategy stack give the same demand
 * faults and copy the same pages on every backend. A case is run once per backend; its summary
 * holds what must agree.
 */
export interface ContractCase {
  readonly workload: string;
  readonly strategy: string;
  /** What every backend must report (besides agreeing with each other). */
  readonly expect: {
    readonly verified: boolean;
    readonly demandFaults?: number;
    /** Some pages must mismatch (seed 001 without its guard). */
    readonly mismatches?: boolean;
  };
}

export interface RunSummary {
  readonly result: RunResult;
  /** pid -> cause -> the pages copied with that cause, ascending. */
  readonly copied: ReadonlyMap<number, Readonly<Record<CopyCauseName, readonly number[]>>>;
  readonly zeroPages: ReadonlyMap<number, readonly number[]>;
  readonly prefilled: ReadonlyMap<number, readonly number[]>;
  readonly collapsed: number;
  readonly forks: number;
  readonly registered: number;
  /** Demand faults raised by a write. */
  readonly writeFaults: number;
}

export const contractCases: readonly ContractCase[] = [
  { workload: 'seq:pages=4096', strategy: 'demand-only', expect: { verified: true, demandFaults: 4096 } },
  { workload: 'zipf:pages=4096,accesses=20000', strategy: 'demand-only', expect: { verified: true } },
  { workload: 'seq:pages=4096', strategy: 'eager', expect: { verified: true, demandFaults: 0 } },
  { workload: 'zipf:pages=4096,accesses=20000', strategy: 'eager', expect: { verified: true, demandFaults: 0 } },
  { workload: 'seq:pages=4096', strategy: 'neighbor-prefetch:window=16', expect: { verified: true } },
  { workload: 'uniform:pages=4096,accesses=8000,zeroFraction=0.25', strategy: 'neighbor-prefetch:window=8,direction=both', expect: { verified: true } },
  { workload: 'zipf:pages=4096,accesses=20000', strategy: 'hot-first-precopy', expect: { verified: true } },
  { workload: 'thp-predump:pages=2048', strategy: 'demand-only', expect: { verified: false, mismatches: true } },
  { workload: 'thp-predump:pages=2048', strategy: 'thp-guard', expect: { verified: true } },
  { workload: 'forktree:procs=3,pages=2048', strategy: 'demand-only', expect: { verified: true } },
  { workload: 'forktree:procs=3,pages=2048', strategy: 'cow-aware', expect: { verified: true } },
  { workload: 'ptrchase:pages=4096', strategy: 'successor-prefetch', expect: { verified: true } },
  { workload: 'zipf:pages=4096,accesses=20000', strategy: 'successor-prefetch:depth=4,fanout=3', expect: { verified: true } },
  { workload: 'forktree:procs=3,pages=2048', strategy: 'successor-prefetch:depth=8', expect: { verified: true } },
];

const workloads = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });

function pagesOf(store: EventStore, kind: number, filter: (i: number) => boolean): Map<number, number[]> {
  const out = new Map<number, Set<number>>();
  for (let i = 0; i < store.length; i++) {
    if (store.kind[i] !== kind || !filter(i)) continue;
    const pid = store.pid[i];
    let s = out.get(pid);
    if (!s) out.set(pid, (s = new Set()));
    for (let p = store.a[i], e = store.a[i] + store.b[i]; p < e; p++) s.add(p);
  }
  return new Map([...out].map(([pid, s]) => [pid, [...s].sort((x, y) => x - y)]));
}

export function summarizeRun(store: EventStore, result: RunResult): RunSummary {
  const copied = new Map<number, Record<CopyCauseName, number[]>>();
  const causes: CopyCauseName[] = ['demand', 'prefetch', 'precopy', 'background'];
  causes.forEach((cause, code) => {
    for (const [pid, pages] of pagesOf(store, EventKind.PagesCopied, (i) => store.c[i] === code)) {
      let r = copied.get(pid);
      if (!r) copied.set(pid, (r = { demand: [], prefetch: [], precopy: [], background: [] }));
      r[cause] = pages;
    }
  });
  let collapsed = 0;
  let forks = 0;
  let registered = 0;
  let writeFaults = 0;
  for (let i = 0; i < store.length; i++) {
    if (store.kind[i] === EventKind.FaultRaised && store.c[i] & FaultFlag.Write) writeFaults++;
    if (store.kind[i] === EventKind.HugePageCollapsed) collapsed += store.c[i];
    if (store.kind[i] === EventKind.ProcessForked) forks++;
    if (store.kind[i] === EventKind.VmaRegistered) registered += store.c[i];
  }
  return {
    result,
    copied,
    zeroPages: pagesOf(store, EventKind.ZeroPageMapped, () => true),
    prefilled: pagesOf(store, EventKind.PagesPrefilled, () => true),
    collapsed,
    forks,
    registered,
    writeFaults,
  };
}

/** Runs one case: its built-in workload, its stack from `registry`, seed 1, no log file. */
export async function runContractCase(backend: RestoreBackend, registry: StrategyRegistry, c: ContractCase): Promise<RunSummary> {
  const workload = workloads.create(c.workload);
  const strategies = registry.instantiate(c.strategy);
  const out = await runRestore({ backend, workload, strategy: c.strategy, strategies, seed: 1, logPath: null });
  return summarizeRun(out.store, out.result);
}

/** The comparable part of a summary, for toEqual: counts and page sets, no timings. */
export function comparableSummary(s: RunSummary): Record<string, unknown> {
  const m = s.result.metrics;
  return {
    demandFaults: m.demandFaults,
    verified: s.result.verified,
    mismatchedPages: m.mismatchedPages,
    verifiedPages: m.verifiedPages,
    unrestoredPages: m.unrestoredPages,
    pagesCopied: m.pagesCopied,
    zeroPages: m.zeroPages,
    prefilledPages: m.prefilledPages,
    collapsed: s.collapsed,
    forks: s.forks,
    registered: s.registered,
    writeFaults: s.writeFaults,
    copied: Object.fromEntries(s.copied),
    zeroPageSet: Object.fromEntries(s.zeroPages),
    prefilledSet: Object.fromEntries(s.prefilled),
  };
}
