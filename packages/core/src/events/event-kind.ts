/**
 * Every fact a restore produces. An event is stored as one fixed-size record:
 *   t (ns: virtual in the simulator, CLOCK_MONOTONIC on Linux), kind, pid, and four numeric
 *   fields a, b, c, d whose meaning depends on the kind (the table below). Strings (strategy
 *   names, error messages) are interned in the log's string table and referenced by index.
 *
 * kind                 a            b            c                    d
 * RestoreStarted       lazyPages    processes    totalPages           -
 * RestoreEnded         -            -            -                    -
 * VmaRegistered        vma          firstPage    pages                mode (1 missing, 2 wp, 3 both)
 * MadviseApplied       vma          advice(ThpAdviceCode) ok(1/0)     -
 * PagesPrefilled       page         count        source(PrefillSource) -
 * HugePageCollapsed    vma          firstPage    count                -        ([b, b+c) became present: holes are zero pages)
 * FaultRaised          page         tid          flags(FaultFlag)     -
 * FaultResolved        page         latencyNs    -                    -
 * PagesCopied          page         count        cause(CopyCause)     calls (copy ioctls used)
 * ZeroPageMapped       page         count        -                    -
 * CopyQueued           page         count        cause(CopyCause)     priority(CopyPriority)
 * CopyRejected         page         count        reason(RejectReason) cause(CopyCause)
 * ProcessForked        child pid    -            -                    -
 * VmaRemapped          page         count        new first page       -
 * VmaRemoved           page         count        -                    -
 * VmaUnmapped          page         count        -                    -
 * StrategyAttached     name(str)    -            -                    -
 * StrategyFailed       name(str)    message(str) -                    -
 * WorkloadStarted      accesses     -            -                    -
 * WorkloadEnded        accesses     -            -                    -
 * PagesTouched         page         count        -                    -        (reported at workload end, run-length)
 * MemorySampled        rssBytes     pssBytes     privateBytes         -
 * PagesVerified        checked      mismatched   unrestored           -
 * PageMismatch         page         -            -                    -        (first mismatches, for diagnosis)
 * (25: retired, never written)
 * CopyLanded           page         count        reactsTo(seq, -1)    queued(seq)  (a command reached the backend's copy queue)
 * FaultRulesSet        stride       strideCount  successor entries    reactsTo(seq, -1)  (new fault-time rules in force)
 * FaultStalled         page         waitedNs     -                    -        (the process's wait at a faulting access, reported at workload end)
 * PrecopyRound         round        sentPages    dirtyPages           roundNs  (a pre-copy round ended; dirty: written by the source meanwhile)
 * SwitchOver           rounds       discarded    reason(SwitchReason) sourcePasses  (the source stopped; discarded: its last dirty pages, lazy again)
 * PagesDiscarded       page         count        -                    -        (placed by a round, written since: dropped before registration)
 */
export const EventKind = {
  RestoreStarted: 1,
  RestoreEnded: 2,
  VmaRegistered: 3,
  MadviseApplied: 4,
  PagesPrefilled: 5,
  HugePageCollapsed: 6,
  FaultRaised: 7,
  FaultResolved: 8,
  PagesCopied: 9,
  ZeroPageMapped: 10,
  CopyQueued: 11,
  CopyRejected: 12,
  ProcessForked: 13,
  VmaRemapped: 14,
  VmaRemoved: 15,
  VmaUnmapped: 16,
  StrategyAttached: 17,
  StrategyFailed: 18,
  WorkloadStarted: 19,
  WorkloadEnded: 20,
  PagesTouched: 21,
  MemorySampled: 22,
  PagesVerified: 23,
  PageMismatch: 24,
  CopyLanded: 26,
  FaultRulesSet: 27,
  FaultStalled: 28,
  PrecopyRound: 29,
  SwitchOver: 30,
  PagesDiscarded: 31,
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];
export const EVENT_KIND_COUNT = 32;

export const EventKindName: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(EventKind).map(([k, v]) => [v, k]),
);

export const CopyCause = { Demand: 0, Prefetch: 1, Precopy: 2, Background: 3 } as const;
export type CopyCause = (typeof CopyCause)[keyof typeof CopyCause];
export const CopyCauseName = ['demand', 'prefetch', 'precopy', 'background'] as const;
export type CopyCauseName = (typeof CopyCauseName)[number];

export const CopyPriority = { Urgent: 0, Prefetch: 1, Background: 2 } as const;
export type CopyPriority = (typeof CopyPriority)[keyof typeof CopyPriority];
export const CopyPriorityName = ['urgent', 'prefetch', 'background'] as const;
export type CopyPriorityName = (typeof CopyPriorityName)[number];

/** duplicate: the core dropped a request for pages already present or in flight (never reached the kernel). */
export const RejectReason = { Duplicate: 0, Eexist: 1, Enoent: 2, OutOfRange: 3 } as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];
export const RejectReasonName = ['duplicate', 'EEXIST', 'ENOENT', 'out-of-range'] as const;

/**
 * image: pre-dumped pages; strategy: a plan hook's prefill; inherited: present in a child after fork
 * (COW); precopy-round: sent by the first pre-copy round from the live source.
 */
export const PrefillSource = { Image: 0, Strategy: 1, Inherited: 2, PrecopyRound: 3 } as const;
export const PrefillSourceName = ['image', 'strategy', 'inherited', 'precopy-round'] as const;

/** Why the pre-copy rounds ended (SwitchOver c). */
export const SwitchReason = { MaxRounds: 0, NotShrinking: 1, Strategy: 2, Converged: 3 } as const;
export type SwitchReason = (typeof SwitchReason)[keyof typeof SwitchReason];
export const SwitchReasonName = ['max-rounds', 'not-shrinking', 'strategy', 'converged'] as const;

export const FaultFlag = { Write: 1, WriteProtect: 2 } as const;

/** PageMismatch events a backend reports per process, at most (native: RL_MAX_REPORTED_MISMATCHES). */
export const MAX_REPORTED_MISMATCHES = 64;

export const ThpAdviceCode = { default: 0, hugepage: 1, nohugepage: 2 } as const;
export const ThpAdviceName = ['default', 'hugepage', 'nohugepage'] as const;
