export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Every metric of a run, computed only from its event log (so replay reproduces it exactly). */
export interface RunMetrics {
  /** Missing-page faults raised by the workload. */
  demandFaults: number;
  /** Faults on pages that were in flight (a prefetch that came too late). */
  latePrefetches: number;
  /** What the processes waited at their faulting accesses (FaultStalled), summed, ns. */
  stallNs: number;
  /** p50, p90, p99 and max of those waits. */
  stallLatencyNs: Percentiles;
  /** The page server's view: sum of fault latencies from read to wake (FaultResolved), ns. */
  serverStallNs: number;
  /** Percentiles of those latencies. */
  faultLatencyNs: Percentiles;
  /** Strategy commands that reached the backend's copy queue (CopyLanded). */
  decisions: number;
  /** From the event a landed command reacted to, to its landing, ns (commands reacting to none are left out). */
  decisionLatencyNs: Percentiles;
  /** RestoreStarted to the last page made present, ns. */
  restoreNs: number;
  /** WorkloadStarted to WorkloadEnded (the longest process), ns. */
  workloadNs: number;
  pagesCopied: { demand: number; prefetch: number; precopy: number; background: number };
  bytesCopied: { demand: number; prefetch: number; precopy: number; background: number };
  /** UFFDIO_COPY calls. */
  copyCalls: number;
  zeroPages: number;
  prefilledPages: number;
  /** Pages asked for again while present or in flight (dropped by the core or refused with EEXIST). */
  duplicateCopies: number;
  /** Prefetched pages (prefetch+precopy+background) later touched / prefetched pages; null when none. */
  prefetchAccuracy: number | null;
  /** Faults avoided / faults demand-only would take on the same workload; null when that is 0. */
  coverage: number | null;
  /** Pages still lazy when the workload ended. */
  unrestoredPages: number;
  /** RSS and PSS of the restored tree at the end of the workload (modelled in the simulator). */
  rssBytes: number;
  pssBytes: number;
  /** Pages whose content differed from the image: must be 0. */
  mismatchedPages: number;
  /** Pages checked against the image. */
  verifiedPages: number;
  strategyFailures: number;
  events: number;
  /**
   * Source stopped to the first process's workload running, ns: from SwitchOver after pre-copy
   * rounds, else from RestoreStarted (post-copy stops the source before the restore begins).
   */
  downtimeNs: number;
  /**
   * Pages sent to the destination: every pre-copy round's, every copy (PagesCopied) and every
   * prefill from the image or a strategy (not a child's inherited pages).
   */
  transferPages: number;
  /** Pre-copy rounds (PrecopyRound, SwitchOver); null when the run had none. */
  precopy: PrecopyMetrics | null;
}

export interface PrecopyMetrics {
  rounds: number;
  /** Pages sent by the rounds, resends included. */
  sentPages: number;
  /** Per round: pages the source wrote while it ran (each later round sends its predecessor's). */
  dirtyPages: number[];
  /** The last dirty set, dropped at the switch-over and fetched after it. */
  discardedPages: number;
  /** SwitchReasonName. */
  switchReason: string;
  /** How many times the source ran its source phase (fractional: where it stopped). */
  sourcePasses: number;
}

/** One run, as `restorelab run --json` prints it. */
export interface RunResult {
  backend: string;
  workload: string;
  strategy: string;
  log: string | null;
  verified: boolean;
  metrics: RunMetrics;
}
