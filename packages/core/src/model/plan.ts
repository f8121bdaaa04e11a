import { ThpAdvice } from './image';
import { PageRange } from './page';

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
