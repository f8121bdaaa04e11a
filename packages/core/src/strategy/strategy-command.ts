import { ThpAdvice } from '../model/image';
import { FaultRules } from '../model/plan';
import { CopyCauseName, CopyPriorityName } from '../events/event-kind';

/** What a strategy asks for. Not a fact: the backend turns it into events when it happens. */
export interface CopyCommand {
  readonly type: 'copy';
  readonly pid: number;
  readonly page: number;
  readonly count: number;
  readonly priority: CopyPriorityName;
  readonly cause: Exclude<CopyCauseName, 'demand'>;
}

export interface MadviseCommand {
  readonly type: 'madvise';
  readonly pid: number;
  readonly vma: number;
  readonly advice: ThpAdvice;
}

/**
 * Replaces a process's fault-time rules (model/plan.ts) while the restore runs. The backend logs
 * FaultRulesSet when the new rules take effect: every fault read after that point uses them.
 */
export interface FaultRulesCommand extends FaultRules {
  readonly type: 'fault-rules';
  readonly pid: number;
}

export type StrategyCommand = CopyCommand | MadviseCommand | FaultRulesCommand;

export function copyPages(
  pid: number,
  page: number,
  count: number,
  priority: CopyPriorityName = 'prefetch',
  cause: CopyCommand['cause'] = priority === 'background' ? 'background' : 'prefetch',
): CopyCommand {
  return { type: 'copy', pid, page, count, priority, cause };
}

export function setFaultRules(pid: number, rules: Partial<FaultRules>): FaultRulesCommand {
  return { type: 'fault-rules', pid, stride: rules.stride ?? null, successors: rules.successors ?? null };
}

export function madvise(pid: number, vma: number, advice: ThpAdvice): MadviseCommand {
  return { type: 'madvise', pid, vma, advice };
}
