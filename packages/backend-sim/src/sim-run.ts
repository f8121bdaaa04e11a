import { BackendPort, BackendRunOptions, BackendSession, CopyEngine, Link } from '@restorelab/core';
import { CostModel } from './cost-model';
import { SimCopier } from './sim-copier';
import { SimDecisions } from './sim-decisions';
import { SimFaultLoop } from './sim-fault-loop';
import { RunState } from './sim-process';
import { SimReplay } from './sim-replay';
import { startupSteps } from './sim-startup';
import { PROGRESS_EVERY, SimWorld } from './sim-world';

export { PROGRESS_EVERY } from './sim-world';

export function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * One simulated restore (see the event protocol in the project brief): the event loop over the
 * actors' time sources on one virtual clock. The processes replay their traces (sim-replay.ts),
 * the monitor runs the start-up (sim-startup.ts) and then serves demand faults one at a time in
 * raised order (sim-fault-loop.ts), the copier lane serves the asynchronous queue (sim-copier.ts).
 * Strategies' reactive commands never run inline: a copy reaches the copier after the decision
 * latency, a madvise applies after its cost, timers run when the clock reaches them
 * (sim-decisions.ts).
 */
export class SimRun {
  private readonly w: SimWorld;
  private readonly copier: SimCopier;
  private readonly decisions: SimDecisions;
  private readonly replay: SimReplay;
  private readonly faults: SimFaultLoop;
  private readonly port: BackendPort;
  private startup: Generator<number, void, void> | undefined;
  /** When the start-up step in progress ends. */
  private startupDoneAt = Infinity;
  private readonly totalAccesses: number;

  constructor(
    private readonly session: BackendSession,
    cost: CostModel,
    link?: Link,
    engine?: CopyEngine,
  ) {
    const w = (this.w = new SimWorld(session, cost, link, engine));
    this.copier = new SimCopier(w);
    this.decisions = new SimDecisions(w, this.copier);
    this.replay = new SimReplay(
      w,
      (p, page, write) => this.faults.raise(p, page, write),
      () => this.finish(),
    );
    this.faults = new SimFaultLoop(w, this.replay);
    this.totalAccesses = w.procs.reduce((n, p) => n + p.accesses, 0);
    const clock = w.clock;
    this.port = {
      scheduler: clock.scheduler,
      now: () => clock.now,
      submitCopy: (pid, page, count, cause, priority, reactsTo, queuedSeq) => {
        if (w.finished) return;
        const p = w.process(pid, 'copy');
        this.copier.queue.submit(p.index, page, count, cause, priority, this.decisions.landingTime(reactsTo), reactsTo, queuedSeq);
      },
      submitFaultRules: (pid, rules, reactsTo) => {
        if (w.finished) return;
        this.decisions.faultRules(w.process(pid, 'fault rules'), rules, reactsTo);
      },
      submitMadvise: (pid, vma, advice) => {
        if (w.finished) return;
        this.decisions.madvise(w.process(pid, 'madvise'), vma, advice);
      },
    };
  }

  async run(options: BackendRunOptions): Promise<void> {
    const signal = options.signal;
    if (signal?.aborted) throw abortError();
    const w = this.w;
    const s = this.session;
    let total = 0;
    for (const p of w.procs) total += p.image.totalPages;
    w.facts.restoreStarted(0, s.initialLazyPages, w.procs.length, total);
    s.start(this.port);
    this.startup = startupSteps(w);
    this.stepStartup();
    while (!w.finished) {
      w.progressLeft = PROGRESS_EVERY;
      this.loop();
      if (w.finished) break;
      options.onProgress?.(this.replay.accessesDone() / Math.max(1, this.totalAccesses));
      if (signal?.aborted) throw abortError();
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (signal?.aborted) throw abortError();
    }
    options.onProgress?.(1);
  }

  /** Runs until the workload ends or about PROGRESS_EVERY accesses (or other steps) are done. */
  private loop(): void {
    const w = this.w;
    const clock = w.clock;
    const procs = w.procs;
    const runnable = w.runnable;
    const copier = this.copier;
    const decisions = this.decisions;
    const faults = this.faults;
    while (!w.finished) {
      const tSched = clock.nextDue();
      const tCopy = copier.queue.nextArrival();
      const tMadvise = decisions.nextChange();
      const tMonitor = this.startup !== undefined ? this.startupDoneAt : faults.doneAt;
      const tCall = copier.callDoneAt;
      const top = runnable.top();
      const tBest = top >= 0 ? runnable.timeOf(top) : Infinity;
      const tOther = Math.min(tSched, tCopy, tMadvise, tMonitor, tCall);
      if (top < 0 || tOther <= tBest) {
        if (tOther === Infinity) throw new Error('simulation stalled: no process can run and nothing is scheduled');
        clock.advance(tOther);
        if (tSched === tOther) clock.flushDue();
        else if (tMadvise === tOther || tCopy === tOther) decisions.arrivals();
        else if (tMonitor === tOther) {
          if (this.startup !== undefined) this.stepStartup();
          else faults.done();
        } else copier.callDone();
        // steps without accesses count too, so that a slice always ends and an abort is seen
        if (--w.progressLeft <= 0) return;
      } else {
        const best = procs[top];
        best.t = tBest;
        const tSecond = runnable.secondTime();
        this.replay.replay(best, tOther < tSecond ? tOther : tSecond);
        if (best.state === RunState.Running) runnable.retimeTop(best.t);
        else runnable.pop();
        if (w.progressLeft <= 0) return;
      }
    }
  }

  private stepStartup(): void {
    const r = this.startup!.next();
    if (r.done) {
      // reactive strategies: the workload waits for them to handle the startup events, as on Linux
      const ready = this.session.promptEvents ? this.decisions.caughtUpAt() : -Infinity;
      if (ready > this.w.clock.now) {
        this.startupDoneAt = ready;
        return;
      }
      this.startup = undefined;
      this.startupDoneAt = Infinity;
      this.faults.openAt(this.w.clock.now);
      this.replay.start();
    } else {
      this.startupDoneAt = this.w.clock.now + r.value;
    }
  }

  /** Every process has ended: what is still queued finds no process (ENOENT); then RestoreEnded. */
  private finish(): void {
    const w = this.w;
    if (w.finished) return;
    w.finished = true;
    this.copier.abandon();
    this.decisions.abandon();
    w.facts.restoreEnded(w.clock.now);
  }
}
