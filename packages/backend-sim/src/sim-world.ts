import { BackendFacts, BackendSession, CopyEngine, Link, PageFlag, ThpAdvice, ThpAdviceCode } from '@restorelab/core';
import { SimLink } from './sim-link';
import { CostModel, engineCostModel } from './cost-model';
import { MemoryModel } from './memory-model';
import { ProcessHeap } from './process-heap';
import { SimProcess } from './sim-process';
import { VirtualClock } from './virtual-clock';

/** Accesses (or other simulation steps) between two progress reports and abort checks. */
export const PROGRESS_EVERY = 1 << 16;

/**
 * What the simulated machine's actors share: the virtual clock, the restored processes and their
 * memory, the session's facts, and the heap of processes that can run. Each actor (replay, monitor
 * start-up, fault loop, copier, the strategies' thread) is a file of its own next to this one.
 */
export class SimWorld {
  readonly procs: SimProcess[];
  readonly byPid = new Map<number, SimProcess>();
  readonly clock = new VirtualClock();
  readonly memory: MemoryModel;
  readonly facts: BackendFacts;
  /** Where the copies' pages come from: local, or over a link to a page server. */
  readonly link: SimLink;
  /** Running processes by the time of their next access. */
  readonly runnable: ProcessHeap;
  /** Processes whose workload has not ended. */
  running = 0;
  /** Every process has ended and RestoreEnded is in the log: commands are dropped. */
  finished = false;
  /** Steps left in the current slice of the event loop. */
  progressLeft = PROGRESS_EVERY;

  /** The cost model as the copy engine sees it (engineCostModel). */
  readonly cost: CostModel;

  constructor(
    readonly session: BackendSession,
    cost: CostModel,
    link?: Link,
    readonly engine: CopyEngine = 'copy',
  ) {
    this.cost = cost = engineCostModel(cost, engine);
    this.link = new SimLink(link, cost);
    const traces = session.workload.traces;
    this.procs = session.image.processes.map((proc, i) => {
      const trace = traces[i]?.pid === proc.pid ? traces[i] : traces.find((x) => x.pid === proc.pid);
      if (!trace) throw new Error(`workload has no trace for pid ${proc.pid}`);
      return new SimProcess(i, proc, trace, session.pages.process(proc.pid)!);
    });
    for (const p of this.procs) this.byPid.set(p.pid, p);
    for (const r of session.plan.faultRules) {
      const p = this.byPid.get(r.pid);
      if (p) p.rules = r;
    }
    this.runnable = new ProcessHeap(this.procs.length);
    this.memory = new MemoryModel(this.procs, cost.processBaseBytes, engine === 'continue' ? this.cacheSame() : undefined);
    this.facts = new BackendFacts(session);
  }

  /**
   * Continue: which pages of each process the memfds its VMAs map hold for it. A root's memfd holds
   * its own pages; a child maps its parent's VMAs, whose memfd holds its page only where every fork
   * since shared it (native/runner/runner-memory.c runner_adopt_parent), else UFFDIO_COPY places it.
   */
  private cacheSame(): Uint8Array[] {
    const out: (Uint8Array | undefined)[] = [];
    const of = (p: SimProcess): Uint8Array => {
      const done = out[p.index];
      if (done) return done;
      const parent = p.image.parent === null ? undefined : this.byPid.get(p.image.parent);
      const flags = p.image.pageFlags;
      const same = new Uint8Array(flags.length);
      if (!parent) same.fill(1);
      else {
        const up = of(parent);
        for (let i = 0; i < same.length; i++) same[i] = flags[i] & PageFlag.SharedWithParent && i < up.length && up[i] ? 1 : 0;
      }
      return (out[p.index] = same);
    };
    return this.procs.map(of);
  }

  /** The process a command names; `what` says which command in the error. */
  process(pid: number, what: string): SimProcess {
    const p = this.byPid.get(pid);
    if (!p) throw new Error(`${what} for unknown pid ${pid}`);
    return p;
  }

  /**
   * How much slower compute runs now: running processes over the CPUs they share (at least 1).
   * `resuming`: processes about to run that are not in the runnable heap yet.
   */
  cpuStretch(resuming = 0): number {
    const cpus = this.cost.processCpus;
    const running = this.runnable.size + resuming;
    return cpus > 0 && running > cpus ? running / cpus : 1;
  }

  /** The runner's madvise, at the monitor's request. */
  applyAdvice(p: SimProcess, vma: number, advice: ThpAdvice): void {
    const ok = Number.isInteger(vma) && vma >= 0 && vma < p.advice.length;
    const code = ThpAdviceCode[advice];
    if (ok) p.advice[vma] = code;
    this.facts.madviseApplied(this.clock.now, p.pid, vma, code, ok);
  }
}
