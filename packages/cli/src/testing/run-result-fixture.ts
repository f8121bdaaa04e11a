import { RunMetrics, RunResult } from '@restorelab/core';

/** A RunResult with plausible numbers; override what a test looks at. */
export function runResult(overrides: Partial<RunResult> = {}, metrics: Partial<RunMetrics> = {}): RunResult {
  return {
    backend: 'sim',
    workload: 'zipf:pages=4096,accesses=20000,seed=1',
    strategy: 'demand-only',
    log: null,
    verified: true,
    ...overrides,
    metrics: {
      demandFaults: 3210,
      latePrefetches: 0,
      stallNs: 41_730_000,
      stallLatencyNs: { p50: 13_000, p90: 13_500, p99: 25_250, max: 40_000 },
      serverStallNs: 12_000_000,
      faultLatencyNs: { p50: 13_000, p90: 13_500, p99: 25_250, max: 40_000 },
      decisions: 0,
      decisionLatencyNs: { p50: 0, p90: 0, p99: 0, max: 0 },
      restoreNs: 812_345_678,
      workloadNs: 830_000_000,
      pagesCopied: { demand: 3210, prefetch: 0, precopy: 0, background: 0 },
      bytesCopied: { demand: 3210 * 4096, prefetch: 0, precopy: 0, background: 0 },
      copyCalls: 3210,
      zeroPages: 0,
      prefilledPages: 0,
      duplicateCopies: 0,
      prefetchAccuracy: null,
      coverage: 0,
      unrestoredPages: 886,
      rssBytes: 3210 * 4096,
      pssBytes: 12.5 * 1024 * 1024,
      mismatchedPages: 0,
      verifiedPages: 3210,
      strategyFailures: 0,
      events: 9999,
      downtimeNs: 2_400_000,
      transferPages: 3210,
      precopy: null,
      ...metrics,
    },
  };
}
