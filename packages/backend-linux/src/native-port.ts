import { asyncScheduler } from 'rxjs';
import { BackendPort, CopyCause, CopyPriority, FaultRules, Image, RestorePlan, ThpAdvice, ThpAdviceCode } from '@restorelab/core';
import { NativeRun } from './native-run';
import { processIndex } from './run-files';

/** The session's port onto a native monitor: commands go to the process of the plan with that pid. */
export class NativePort implements BackendPort {
  readonly scheduler = asyncScheduler;
  private readonly index: Map<number, number>;

  constructor(
    private readonly run: NativeRun,
    image: Image,
    readonly now: () => number,
  ) {
    this.index = processIndex(image);
  }

  private procOf(pid: number): number {
    const i = this.index.get(pid);
    if (i === undefined) throw new Error(`no process ${pid} in the image`);
    return i;
  }

  submitCopy(pid: number, page: number, count: number, cause: CopyCause, priority: CopyPriority, reactsTo: number, queuedSeq: number): void {
    this.run.monitor.submitCopy(this.procOf(pid), page, count, cause, priority, reactsTo, queuedSeq);
  }

  submitMadvise(pid: number, vma: number, advice: ThpAdvice): void {
    this.run.monitor.submitMadvise(this.procOf(pid), vma, ThpAdviceCode[advice]);
  }

  submitFaultRules(pid: number, rules: FaultRules, reactsTo: number): void {
    this.setRules(pid, rules, reactsTo, true);
  }

  /** The plan's fault-time rules, in force before the first fault (not logged: the plan says them). */
  applyPlanRules(plan: RestorePlan): void {
    for (const r of plan.faultRules) this.setRules(r.pid, r, -1, false);
  }

  private setRules(pid: number, rules: FaultRules, reactsTo: number, log: boolean): void {
    const s = rules.successors;
    this.run.monitor.setFaultRules(this.procOf(pid), rules.stride?.stride ?? 0, rules.stride?.count ?? 0, s?.offsets ?? null, s?.targets ?? null, reactsTo, log);
  }
}
