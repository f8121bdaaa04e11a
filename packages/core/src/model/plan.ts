import { ThpAdvice } from './image';
import { PageRange } from './page';
import { PrecopyRoundsSpec } from './precopy';

export interface VmaRef {
  readonly pid: number;
  readonly vma: number;
}

export interface AdviceStep extends VmaRef {
  readonly advice: ThpAdvice;
}

/**
 * What happens before the restored tree runs, in this order (DESIGN.md "Strategies"):
 * 1. adviseBeforeFill   madvise on the freshly mapped VMAs
 * 2. prefill            pages written before uffd registration (the image's pre-dumped pages,
 *                       and pages a strategy fills in an ancestor so children inherit them COW)
 *    precopy rounds     (precopyRounds) pages sent from the live source in rounds, the last
 *                       dirty ones dropped again (model/precopy.ts)
 * 3. collapse           VMAs khugepaged collapses now (image: collapseBeforeRegister)
 * 4. fork               the process tree is created; children drop inherited pages they do not share
 * 5. register           every process registers its lazy VMAs with its own userfaultfd
 * 6. adviseAfterRegister
 * 7. precopy            UFFDIO_COPY by the monitor before the workload starts (cause precopy)
 * then the workload runs.
 */
export interface RestorePlan {
  readonly adviseBeforeFill: readonly AdviceStep[];
  readonly prefill: readonly PrefillRange[];
  readonly adviseAfterRegister: readonly AdviceStep[];
  readonly precopy: readonly PageRange[];
  /** Fault-time rules in force when the workload starts, per process (the last a strategy set). */
  readonly faultRules: readonly ProcessFaultRules[];
  /** Pre-copy rounds from a live source (the last strategy to ask wins); null: none. */
  readonly precopyRounds: PlannedPrecopyRounds | null;
}

export interface PlannedPrecopyRounds extends PrecopyRoundsSpec {
  /** The strategy (stack index) whose switchWhen decides. */
  readonly owner: number;
}

export interface PrefillRange extends PageRange {
  /** image: pre-dumped in the image; strategy: added by a strategy's plan hook. */
  readonly source: 'image' | 'strategy';
}

/**
 * A fault-time rule: applied by the backend inside the demand fault, in the same copy as the
 * faulting page. The window is the maximal run of lazy pages (content pages, not present, not in
 * flight) adjacent to the faulting page, at most `forward` pages after it and `backward` before it,
 * never crossing the VMA. The faulting page is copied with cause demand, the rest with cause prefetch.
 */
export interface FaultWindowRule {
  readonly forward: number;
  readonly backward: number;
}

/** Along a stride: with a fault at page P also copy P+stride, P+2*stride, ... (count pages). */
export interface StrideRule {
  /** Pages between two copies, not 0; negative walks down. */
  readonly stride: number;
  readonly count: number;
}

/**
 * Per-page successors in CSR form: with a fault at page P also copy
 * targets[offsets[P]], ..., targets[offsets[P+1]-1] (pages of the same process). offsets has one
 * entry per page of the process plus one.
 */
export interface SuccessorTable {
  readonly offsets: Uint32Array;
  readonly targets: Uint32Array;
}

/**
 * The fault-time rules of a process beyond the window (REAP / FaaSnap-style working-set groups, a
 * learned stride, a successor table). The monitor applies them right after it has woken the
 * faulting thread: pages they name that are lazy (content, not present, not in flight, not in the
 * window) are copied with cause prefetch, in rule order (stride, then successors), at most
 * MAX_RULE_PAGES per fault, consecutive pages of one VMA in one call. Both backends apply them
 * identically, so a strategy built from fixed rules gives the same demand faults on both.
 */
export interface FaultRules {
  readonly stride: StrideRule | null;
  readonly successors: SuccessorTable | null;
}

export interface ProcessFaultRules extends FaultRules {
  readonly pid: number;
}

/** Most pages the rules add to one fault (the native loop's bound, plan-format.h RL_MAX_RULE_PAGES). */
export const MAX_RULE_PAGES = 64;
