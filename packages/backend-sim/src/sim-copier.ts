import { CopyPriority, MAX_COPY_PAGES, RejectReason, vmaOfPage } from '@restorelab/core';
import { CopyQueue } from './copy-queue';
import { copyCostNs, hugetlbCopyCostNs } from './cost-model';
import { LinkChannel } from './sim-link';
import { isTaken, RunState } from './sim-process';
import { SimWorld } from './sim-world';

/**
 * The copier lane (native/addon/copier.cc): takes the admitted commands in priority order and
 * copies each in UFFDIO_COPY calls of at most MAX_COPY_PAGES missing pages; pages present or claimed
 * by the monitor when a call starts or ends answer EEXIST, a process that has ended ENOENT.
 */
export class SimCopier {
  readonly queue = new CopyQueue();
  /** When the call in progress ends (Infinity: idle). */
  callDoneAt = Infinity;
  private copyCmd = -1;
  private copyPos = 0;
  private copyEnd = 0;
  private callPage = 0;
  private callCount = 0;

  /**
   * The copier thread sleeps when it has nothing to do: a background command that finds it so
   * starts after its wake-up (copierWakeNs). Urgent and prefetch commands of a reactive stack are
   * copied by the strategies' thread itself on Linux, which leaves the copier asleep.
   */
  private asleep = true;

  /** Told the CPU time of every call as it starts: [start, end) of its copy, after the pages' fetch. */
  onCall: ((start: number, end: number) => void) | undefined;

  /** The call's pages come later: a demand page shares the link with them (shared bandwidth). */
  private readonly later = (ns: number) => void (this.callDoneAt += ns);

  constructor(private readonly w: SimWorld) {}

  /** Starts the next UFFDIO_COPY call if the copier is idle and has work. */
  start(): void {
    const w = this.w;
    const q = this.queue;
    while (this.callDoneAt === Infinity && !w.finished) {
      if (this.copyCmd < 0) {
        const i = q.take();
        if (i < 0) {
          this.asleep = true;
          return;
        }
        this.copyCmd = i;
        this.copyPos = q.page[i];
        this.copyEnd = q.page[i] + q.count[i];
      }
      const i = this.copyCmd;
      const p = w.procs[q.proc[i]];
      const cause = q.cause[i];
      const now = w.clock.now;
      if (p.state === RunState.Done) {
        const from = this.copyPos;
        this.copyCmd = -1;
        w.facts.copyRejected(now, p.pid, from, this.copyEnd - from, RejectReason.Enoent, cause);
        continue;
      }
      const end = this.copyEnd;
      let j = this.copyPos;
      while (j < end && isTaken(p, j)) j++;
      if (j > this.copyPos) {
        const from = this.copyPos;
        this.copyPos = j;
        if (j === end) this.copyCmd = -1;
        w.facts.copyRejected(now, p.pid, from, j - from, RejectReason.Eexist, cause);
        if (j === end) continue;
      }
      // a call stops where a hugetlb VMA starts or ends (as native calls stop at every VMA's end)
      const vma = vmaOfPage(p.image, j)!;
      const vEnd = vma.firstPage + vma.pages;
      const next = p.image.vmas[vma.index + 1];
      const limit = Math.min(end, j + MAX_COPY_PAGES, vma.hugetlb || next?.hugetlb ? vEnd : Infinity);
      let e = j;
      while (e < limit && !isTaken(p, e)) e++;
      this.callPage = j;
      this.callCount = e - j;
      this.copyPos = e;
      const copyNs = vma.hugetlb ? hugetlbCopyCostNs(w.cost, e - j) : copyCostNs(w.cost, e - j);
      let wake = 0;
      if (q.priority[i] === CopyPriority.Background) {
        if (this.asleep) wake = w.cost.copierWakeNs;
        this.asleep = false;
      }
      this.callDoneAt = now + wake + w.link.fetch(now + wake, e - j, LinkChannel.Background, this.later) + copyNs;
      this.onCall?.(this.callDoneAt - copyNs, this.callDoneAt);
    }
  }

  callDone(): void {
    const w = this.w;
    this.callDoneAt = Infinity;
    const q = this.queue;
    const i = this.copyCmd;
    const p = w.procs[q.proc[i]];
    const cause = q.cause[i];
    const start = this.callPage;
    const end = start + this.callCount;
    if (this.copyPos === this.copyEnd) this.copyCmd = -1;
    const now = w.clock.now;
    if (p.state === RunState.Done) {
      w.facts.copyRejected(now, p.pid, start, end - start, RejectReason.Enoent, cause);
    } else {
      // pages the monitor copied (or claimed) meanwhile make this call fail with EEXIST for them
      let a = start;
      while (a < end) {
        const taken = isTaken(p, a);
        let b = a + 1;
        while (b < end && isTaken(p, b) === taken) b++;
        if (taken) {
          w.facts.copyRejected(now, p.pid, a, b - a, RejectReason.Eexist, cause);
        } else {
          w.memory.fill(p, a, b - a);
          w.facts.pagesCopied(now, p.pid, a, b - a, cause, 1);
        }
        a = b;
      }
    }
    this.start();
  }

  /** Every process has ended: the command in progress and everything queued find no process (ENOENT). */
  abandon(): void {
    const w = this.w;
    const q = this.queue;
    const now = w.clock.now;
    if (this.copyCmd >= 0) {
      const i = this.copyCmd;
      const from = this.callDoneAt === Infinity ? this.copyPos : this.callPage;
      this.copyCmd = -1;
      this.callDoneAt = Infinity;
      if (this.copyEnd > from) w.facts.copyRejected(now, w.procs[q.proc[i]].pid, from, this.copyEnd - from, RejectReason.Enoent, q.cause[i]);
    }
    q.drain((i) => w.facts.copyRejected(now, w.procs[q.proc[i]].pid, q.page[i], q.count[i], RejectReason.Enoent, q.cause[i]));
  }
}
