import { ThpAdvice } from '../model/image';
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

export type StrategyCommand = CopyCommand | MadviseCommand;

export function copyPages(
  pid: number,
  page: number,
  count: number,
  priority: CopyPriorityName = 'prefetch',
  cause: CopyCommand['cause'] = priority === 'background' ? 'background' : 'prefetch',
): CopyCommand {
  return { type: 'copy', pid, page, count, priority, cause };
}

export function madvise(pid: number, vma: number, advice: ThpAdvice): MadviseCommand {
  return { type: 'madvise', pid, vma, advice };
}
