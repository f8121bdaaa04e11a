import { IMAGE_LIMITS } from '../model/image-limits';
import { PAGE_SIZE } from '../model/page';
import { EventKind } from './event-kind';
import { RunMeta } from './run-meta';

/**
 * What a log read from a file is held to before its events are folded: its META frame describes a
 * run an image could have (within IMAGE_LIMITS), and no event claims pages outside that image. A
 * small crafted log cannot make the folds (bitmaps per pid) allocate what its counts claim.
 * Returns the reason it is not, or undefined.
 */
export function checkRunMeta(m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'not a JSON object';
  const o = m as Record<string, unknown>;
  if (o.format !== 'restorelab-log') return 'not restorelab run metadata';
  if (o.version !== 1) return `version ${JSON.stringify(o.version)}, expected 1`;
  for (const k of ['backend', 'workload', 'strategy'] as const) if (typeof o[k] !== 'string') return `'${k}' is not a string`;
  if (!(Number.isSafeInteger(o.seed) && (o.seed as number) >= 0)) return `'seed' is not a non-negative integer`;
  if (o.pageSize !== PAGE_SIZE) return `'pageSize' is ${JSON.stringify(o.pageSize)}, expected ${PAGE_SIZE}`;
  if (!isIntIn(o.processes, 1, IMAGE_LIMITS.maxProcesses)) return `'processes' is not an integer from 1 to ${IMAGE_LIMITS.maxProcesses}`;
  if (!isIntIn(o.totalPages, 0, IMAGE_LIMITS.maxTotalPages)) return `'totalPages' is not an integer from 0 to ${IMAGE_LIMITS.maxTotalPages}`;
  if (o.backendInfo !== undefined && (typeof o.backendInfo !== 'object' || o.backendInfo === null || Array.isArray(o.backendInfo)))
    return `'backendInfo' is not an object`;
  return undefined;
}

/** Whether a StrategyAttached or StrategyFailed event names a string the log has not defined yet. */
export function namesUndefinedString(kind: number, a: number, b: number, strings: number): boolean {
  if (kind !== EventKind.StrategyAttached && kind !== EventKind.StrategyFailed) return false;
  return !isIndex(a, strings) || (kind === EventKind.StrategyFailed && !isIndex(b, strings));
}

function isIndex(x: number, n: number): boolean {
  return Number.isInteger(x) && x >= 0 && x < n;
}

function isIntIn(x: unknown, lo: number, hi: number): boolean {
  return Number.isSafeInteger(x) && (x as number) >= lo && (x as number) <= hi;
}

/** Checks each event's pid and page range against the run's META, as the reader appends it. */
export class LogBounds {
  /** Per pid, the end of the highest page range any event gave it. */
  private readonly extent = new Map<number, number>();
  private claimed = 0;
  private readonly pages: number;
  private readonly processes: number;

  constructor(meta: Pick<RunMeta, 'totalPages' | 'processes'>) {
    this.pages = meta.totalPages;
    this.processes = meta.processes;
  }

  /** Why this event cannot be in a log of that run, or undefined: events about pages name their pid and range. */
  check(kind: number, pid: number, a: number, b: number, c: number): string | undefined {
    let start: number;
    let count: number;
    switch (kind) {
      case EventKind.FaultRaised:
        start = a;
        count = 1;
        break;
      case EventKind.PagesPrefilled:
      case EventKind.PagesCopied:
      case EventKind.ZeroPageMapped:
      case EventKind.CopyQueued:
      case EventKind.PagesTouched:
        start = a;
        count = b;
        break;
      case EventKind.VmaRegistered:
      case EventKind.HugePageCollapsed:
        start = b;
        count = c;
        break;
      default:
        return undefined;
    }
    if (!(pid >= 1 && pid <= IMAGE_LIMITS.maxPid)) return `pid ${pid} is not a pid`;
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= this.pages)) {
      return `pages [${start}, ${start}+${count}) of pid ${pid} are outside the run's ${this.pages} pages`;
    }
    const end = start + count;
    const had = this.extent.get(pid);
    if (had === undefined && this.extent.size === this.processes) return `pid ${pid} is one more process than the run's ${this.processes}`;
    if (had === undefined || end > had) {
      this.claimed += end - (had ?? 0);
      this.extent.set(pid, end);
      if (this.claimed > this.pages) return `its processes' pages add up to more than the run's ${this.pages}`;
    }
    return undefined;
  }
}
