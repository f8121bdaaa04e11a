import { FaultRules, ThpAdvice, ThpAdviceCode } from '@restorelab/core';
import { SimCopier } from './sim-copier';
import { SimProcess } from './sim-process';
import { SimWorld } from './sim-world';

interface PendingMadvise {
  readonly proc: SimProcess;
  readonly vma: number;
  readonly advice: ThpAdvice;
  readonly at: number;
}

interface PendingRules {
  readonly proc: SimProcess;
  readonly rules: FaultRules;
  readonly reactsTo: number;
  readonly at: number;
}

/**
 * The strategies' thread and what it sends the backend (the JS side of native/addon/addon.cc):
 * a command reaches the backend when the thread has handled the event it reacts to; copies go to
 * the copier's queue, madvise and fault-rule changes take effect when they arrive.
 */
export class SimDecisions {
  /** The last event the strategies' thread has handled, and when it is free again. */
  private jsSeq = -1;
  private jsClock = -Infinity;
  private readonly madvises: PendingMadvise[] = [];
  private madviseHead = 0;
  private readonly ruleChanges: PendingRules[] = [];
  private ruleChangeHead = 0;
  /** The copier's calls the thread has not reached yet, [start, end) pairs in time order (copierSharesEventLoopCpu). */
  private readonly copierCalls: number[] = [];
  private copierCallHead = 0;

  constructor(
    private readonly w: SimWorld,
    private readonly copier: SimCopier,
  ) {
    if (w.cost.copierSharesEventLoopCpu) copier.onCall = this.copierCall;
  }

  /**
   * The copier copies on the strategies' thread's CPU and goes first there (as a woken thread
   * does on Linux): what the thread was doing when a call started waits for the call's end, and
   * no event is handled during one (commands already on their way keep their landing time).
   */
  private readonly copierCall = (start: number, end: number): void => {
    if (this.jsClock > start) this.jsClock += end - start;
    else {
      if (this.copierCallHead === this.copierCalls.length) {
        this.copierCalls.length = 0;
        this.copierCallHead = 0;
      }
      this.copierCalls.push(start, end);
    }
  };

  /**
   * When a command asked for now, reacting to event `reactsTo`, reaches the copy queue. The
   * strategies' thread works through the log in order: each event no sooner than
   * decisionLatencyNs after it happened, each costing decisionEventNs; the command lands when its
   * event has been handled (never before now + decisionLatencyNs, never before the command ahead).
   */
  landingTime(reactsTo: number): number {
    this.handle(reactsTo);
    return Math.max(this.w.clock.now + this.w.cost.decisionLatencyNs, this.jsClock, this.copier.queue.lastArrival());
  }

  /**
   * When the strategies' thread has handled every event logged so far (the Linux backend starts
   * the workload only then, so that strategies see the registrations before the first fault).
   */
  caughtUpAt(): number {
    this.handle(this.w.session.log.length - 1);
    return this.jsClock;
  }

  private handle(upTo: number): void {
    const m = this.w.cost;
    const log = this.w.session.log;
    upTo = Math.min(upTo, log.length - 1);
    const calls = this.copierCalls;
    let head = this.copierCallHead;
    for (let seq = this.jsSeq + 1; seq <= upTo; seq++) {
      let start = Math.max(this.jsClock, log.timeOf(seq) + m.decisionLatencyNs);
      while (head < calls.length && calls[head + 1] <= start) head += 2;
      if (head < calls.length && calls[head] <= start) {
        start = calls[head + 1];
        head += 2;
      }
      let end = start + m.decisionEventNs;
      for (; head < calls.length && calls[head] < end; head += 2) end += calls[head + 1] - calls[head];
      this.jsClock = end;
    }
    this.copierCallHead = head;
    if (upTo > this.jsSeq) this.jsSeq = upTo;
  }

  madvise(proc: SimProcess, vma: number, advice: ThpAdvice): void {
    this.madvises.push({ proc, vma, advice, at: this.w.clock.now + this.w.cost.madviseNs });
  }

  faultRules(proc: SimProcess, rules: FaultRules, reactsTo: number): void {
    const at = this.landingTime(reactsTo);
    // in landing order: a later change never takes effect before an earlier one
    const last = this.ruleChanges.length > this.ruleChangeHead ? this.ruleChanges[this.ruleChanges.length - 1].at : -Infinity;
    this.ruleChanges.push({ proc, rules, reactsTo, at: Math.max(at, last) });
  }

  /** When the next madvise or rule change arrives. */
  nextChange(): number {
    return Math.min(
      this.madviseHead < this.madvises.length ? this.madvises[this.madviseHead].at : Infinity,
      this.ruleChangeHead < this.ruleChanges.length ? this.ruleChanges[this.ruleChangeHead].at : Infinity,
    );
  }

  private readonly landed = (i: number): void => {
    const w = this.w;
    const q = this.copier.queue;
    w.facts.copyLanded(w.clock.now, w.procs[q.proc[i]].pid, q.page[i], q.count[i], q.reactsTo[i], q.queuedSeq[i]);
  };

  /** Everything due by now arrives: madvise, rule changes, copies (then the copier looks for work). */
  arrivals(): void {
    const w = this.w;
    const now = w.clock.now;
    while (this.madviseHead < this.madvises.length && this.madvises[this.madviseHead].at <= now) {
      const m = this.madvises[this.madviseHead++];
      w.applyAdvice(m.proc, m.vma, m.advice);
    }
    if (this.madviseHead === this.madvises.length) {
      this.madvises.length = 0;
      this.madviseHead = 0;
    }
    while (this.ruleChangeHead < this.ruleChanges.length && this.ruleChanges[this.ruleChangeHead].at <= now) {
      const r = this.ruleChanges[this.ruleChangeHead++];
      r.proc.rules = r.rules;
      const stride = r.rules.stride;
      const entries = r.rules.successors?.targets.length ?? 0;
      w.facts.faultRulesSet(now, r.proc.pid, stride?.stride ?? 0, stride?.count ?? 0, entries, r.reactsTo);
    }
    if (this.ruleChangeHead === this.ruleChanges.length) {
      this.ruleChanges.length = 0;
      this.ruleChangeHead = 0;
    }
    this.copier.queue.admit(now, this.landed);
    this.copier.start();
  }

  /** Every process has ended: advice still on its way failed. */
  abandon(): void {
    const w = this.w;
    const now = w.clock.now;
    for (let j = this.madviseHead; j < this.madvises.length; j++) {
      const m = this.madvises[j];
      w.facts.madviseApplied(now, m.proc.pid, m.vma, ThpAdviceCode[m.advice], false);
    }
    this.madviseHead = this.madvises.length;
  }
}
