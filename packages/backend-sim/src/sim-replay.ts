import { MAX_REPORTED_MISMATCHES } from '@restorelab/core';
import { forEachBitRun } from './memory-model';
import { PageBit, RunState, SimProcess } from './sim-process';
import { SimWorld } from './sim-world';

/**
 * The restored processes replaying their traces (native/runner/runner-replay.c): present pages
 * cost the gap and a first touch, a missing page raises a fault; at the end each process reports
 * its touched pages, stalls, memory and verification.
 */
export class SimReplay {
  constructor(
    private readonly w: SimWorld,
    private readonly raiseFault: (p: SimProcess, page: number, write: number) => void,
    private readonly allEnded: () => void,
  ) {}

  /** GO: every process starts its restore phase. */
  start(): void {
    const w = this.w;
    const now = w.clock.now;
    for (const p of w.procs) w.facts.workloadStarted(now, p.pid, p.accesses);
    w.running = w.procs.length;
    for (const p of w.procs) {
      p.k = p.start;
      if (p.accesses === 0) {
        p.t = now;
        this.end(p);
      } else {
        p.t = now + p.traceGap[p.k];
        p.state = RunState.Running;
        w.runnable.push(p.index, p.t);
      }
    }
    if (w.procs.length === 0) this.allEnded();
  }

  /**
   * Replays accesses of p from p.k (at p.t) while they come before `horizon` (the first always
   * runs): present pages cost nothing beyond the gap; a missing page raises a fault.
   */
  replay(p: SimProcess, horizon: number): void {
    const w = this.w;
    const pages = p.tracePage;
    const writes = p.traceWrite;
    const gaps = p.traceGap;
    const flags = p.flags;
    const present = p.pages.present;
    const end = p.end;
    const stretch = w.cpuStretch();
    const touchNs = w.cost.touchPageNs * stretch;
    const cowNs = w.cost.cowPageNs * stretch;
    const memory = w.memory;
    let k = p.k;
    let t = p.t;
    let left = w.progressLeft;
    if (k === end) {
      // its last access ended past the horizon of the slice that ran it
      this.end(p);
      return;
    }
    for (;;) {
      const pg = pages[k];
      const x = flags[pg];
      // the common case: touched before (so present), private, right content
      if ((x & (PageBit.Touched | PageBit.Shared | PageBit.Bad | PageBit.Cached)) !== PageBit.Touched) {
        if (!present.get(pg)) {
          p.k = k;
          p.t = t;
          w.progressLeft = left;
          this.raiseFault(p, pg, writes[k]);
          return;
        }
        if ((x & PageBit.Touched) === 0) t += touchNs;
        if (memory.touch(p, pg, writes[k] !== 0, MAX_REPORTED_MISMATCHES)) t += cowNs;
      }
      k++;
      left--;
      if (k === end) {
        p.k = k;
        p.t = t;
        w.progressLeft = left;
        // the access's own cost may end it after something else due: the clock must not jump past that
        if (t <= horizon) this.end(p);
        return;
      }
      t += stretch === 1 ? gaps[k] : gaps[k] * stretch;
      if (t >= horizon || left <= 0) break;
    }
    p.k = k;
    p.t = t;
    w.progressLeft = left;
  }

  /** The process's trace is done: its end report, as the runner's done file and the monitor's sample. */
  end(p: SimProcess): void {
    const w = this.w;
    const facts = w.facts;
    w.clock.advance(p.t);
    const now = w.clock.now;
    const pid = p.pid;
    p.state = RunState.Done;
    w.running--;
    facts.workloadEnded(now, pid, p.accesses);
    forEachBitRun(p.flags, PageBit.Touched, (page, count) => facts.pagesTouched(now, pid, page, count));
    for (let i = 0; i < p.stalls; i++) facts.faultStalled(now, pid, p.stallPage[i], Math.round(p.stallNs[i]));
    const mem = w.memory.sample(p);
    facts.memorySampled(now, pid, mem.rssBytes, mem.pssBytes, mem.privateBytes);
    const v = w.memory.verify(p, MAX_REPORTED_MISMATCHES);
    facts.pagesVerified(now, pid, v.checked, v.mismatched, v.unrestored);
    for (const page of v.firstMismatches) facts.pageMismatch(now, pid, page);
    if (w.running === 0) this.allEnded();
  }

  accessesDone(): number {
    let n = 0;
    for (const p of this.w.procs) n += Math.max(0, p.k - p.start);
    return n;
  }
}
