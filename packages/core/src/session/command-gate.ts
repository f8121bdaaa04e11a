import { BackendPort } from '../backend/backend-port';
import { CopyCause, CopyPriority, EventKind, RejectReason } from '../events/event-kind';
import { placementRange, ProcessImage, vmaOfPage } from '../model/image';
import { PageState } from '../state/page-state';
import { StrategyCommand } from '../strategy/strategy-command';
import { checkFaultRules } from './check-fault-rules';
import { EventBus } from './event-bus';
import { checkAdvice } from './plan-builder';

const CAUSE_CODE: Readonly<Record<string, CopyCause>> = { prefetch: CopyCause.Prefetch, precopy: CopyCause.Precopy, background: CopyCause.Background, demand: CopyCause.Demand };
const PRIORITY_CODE: Readonly<Record<string, CopyPriority>> = { urgent: CopyPriority.Urgent, prefetch: CopyPriority.Prefetch, background: CopyPriority.Background };

/**
 * Between the strategies' commands and the backend's port: a command is checked (a bad one
 * throws, which detaches its strategy), a copy is split at VMA boundaries and stripped of pages that
 * are not lazy (counted as CopyRejected duplicate), so a page is never queued twice.
 */
export class CommandGate {
  private readonly procByPid: ReadonlyMap<number, ProcessImage>;

  constructor(
    processes: readonly ProcessImage[],
    private readonly bus: EventBus,
    private readonly state: PageState,
    private readonly port: BackendPort,
  ) {
    this.procByPid = new Map(processes.map((p) => [p.pid, p]));
  }

  execute(cmd: StrategyCommand): void {
    if (typeof cmd !== 'object' || cmd === null || Array.isArray(cmd)) throw new Error(`not a command: ${describeNonCommand(cmd)}`);
    if (cmd.type === 'copy') {
      const cause = CAUSE_CODE[cmd.cause];
      const priority = PRIORITY_CODE[cmd.priority];
      if (cause === undefined || cause === CopyCause.Demand) throw new Error(`unknown copy cause '${cmd.cause}'`);
      if (priority === undefined) throw new Error(`unknown copy priority '${cmd.priority}'`);
      this.copy(cmd.pid, cmd.page, cmd.count, cause, priority);
    } else if (cmd.type === 'madvise') this.port.submitMadvise(cmd.pid, cmd.vma, checkAdvice(cmd.advice));
    else if (cmd.type === 'fault-rules') {
      const proc = this.procByPid.get(cmd.pid);
      if (!proc) throw new Error(`fault rules name pid ${cmd.pid}, which the image does not have`);
      this.port.submitFaultRules(cmd.pid, checkFaultRules(proc, cmd), this.bus.lastDelivered);
    } else throw new Error(`unknown command ${(cmd as { type: string }).type}`);
  }

  /** Queues the lazy runs of an asynchronous copy; returns the pages queued. */
  copy(pid: number, page: number, count: number, cause: CopyCause, priority: CopyPriority): number {
    const port = this.port;
    const bus = this.bus;
    const t = port.now();
    const proc = this.procByPid.get(pid);
    if (!proc || !(count > 0) || page < 0 || page + count > proc.totalPages || !Number.isInteger(page) || !Number.isInteger(count)) {
      bus.emit(EventKind.CopyRejected, t, pid, page, count, RejectReason.OutOfRange, cause);
      return 0;
    }
    let queued = 0;
    let i = page;
    const end = page + count;
    while (i < end) {
      const vma = vmaOfPage(proc, i)!;
      let vEnd = Math.min(end, vma.firstPage + vma.pages);
      if (vma.hugetlb) {
        // the copy takes the whole huge pages it touches
        const placed = placementRange(vma, i, vEnd);
        i = placed.page;
        vEnd = placed.end;
      }
      while (i < vEnd) {
        const lazy = this.state.isLazy(pid, i);
        let j = i + 1;
        // a run longer than a page: the rest found a word of pages at a time
        if (j < vEnd && this.state.isLazy(pid, j) === lazy) j = lazy ? this.state.lazyRunEnd(pid, j, vEnd) : this.state.nextLazyPage(pid, j, vEnd);
        if (lazy) {
          const queuedSeq = bus.emit(EventKind.CopyQueued, t, pid, i, j - i, cause, priority);
          port.submitCopy(pid, i, j - i, cause, priority, bus.lastDelivered, queuedSeq);
          queued += j - i;
        } else {
          bus.emit(EventKind.CopyRejected, t, pid, i, j - i, RejectReason.Duplicate, cause);
        }
        i = j;
      }
    }
    return queued;
  }
}

function describeNonCommand(x: unknown): string {
  if (Array.isArray(x)) return 'an array (a strategy\'s stream emits one command at a time: mergeMap to from(commands))';
  return x === null ? 'null' : `a ${typeof x}`;
}
