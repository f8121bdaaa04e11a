import { CopyEngine, FILE_LIMITS, PAGES_PER_HUGE_PAGE, fileError, readRegularFile, UsageError } from '@restorelab/core';

/**
 * What each step of a restore costs on the simulator's virtual clock, in ns (bytes for the
 * memory model). `restorelab calibrate` writes a JSON file with these keys.
 */
export interface CostModel {
  /** A demand fault as the monitor sees it (message read to the copy's wake), without its copy. */
  readonly faultOverheadNs: number;
  /**
   * The rest of a fault's round trip, which the monitor does not see: the kernel delivering the
   * fault and waking the monitor, then waking the faulting thread. The process stays blocked for
   * it; a fault's logged latency does not include it (on Linux neither).
   */
  readonly faultWakeNs: number;
  /**
   * Added to a fault that finds the monitor idle for FAULT_IDLE_FULL_NS or more (caches gone cold
   * while the process ran), in proportion to the idle time below that.
   */
  readonly faultIdleNs: number;
  /**
   * Added to a copying fault more than FAULT_NEAR_PAGES pages away from what the process's previous
   * copying fault brought in: the page tables and kernel metadata it touches are not in the cache
   * (measured: a random-order restore's faults against a sequential one's).
   */
  readonly faultJumpNs: number;
  /** Fixed cost of one UFFDIO_COPY call. */
  readonly copyCallNs: number;
  /** Per-page cost of UFFDIO_COPY in the copier and in plan precopy (large calls). */
  readonly copyPageNs: number;
  /**
   * Per-page cost of the UFFDIO_COPY a fault makes (the demand page and its window): measured apart
   * because inside a fault it costs more per page than in the copier's large calls.
   */
  readonly faultCopyPageNs: number;
  /**
   * One UFFDIO_COPY of a single page made by the fault thread for a fault-time rule (stride,
   * successors) before the wake; each further page of the same call costs faultCopyPageNs.
   */
  readonly ruleCallNs: number;
  /** Copy engine continue: writing one page into the memfd's page cache (pwrite: allocation and copy). */
  readonly cacheFillPageNs: number;
  /** Copy engine continue: fixed cost of one UFFDIO_CONTINUE call. */
  readonly continueCallNs: number;
  /** Copy engine continue: per page of UFFDIO_CONTINUE (maps a page the page cache has). */
  readonly continuePageNs: number;
  /** Copy engine move: writing one page into the process's staging area (process_vm_writev). */
  readonly stagePageNs: number;
  /** Copy engine move: fixed cost of one UFFDIO_MOVE call with its process_vm_writev. */
  readonly moveCallNs: number;
  /** Copy engine move: per page of UFFDIO_MOVE. */
  readonly movePageNs: number;
  /**
   * UFFDIO_COPY of one 2 MiB page into a hugetlb VMA, the call included: a huge page taken from the
   * pool and 2 MiB copied into it (a fault, the copier and precopy alike: the kernel copies a huge
   * page at a time).
   */
  readonly hugePageCopyNs: number;
  /** UFFDIO_ZEROPAGE of one page. */
  readonly zeroPageNs: number;
  readonly madviseNs: number;
  /** From a fact to a strategy's reactive command reaching the copy queue when nothing waits before it. */
  readonly decisionLatencyNs: number;
  /**
   * What the strategies' thread spends on each event it is handed: it works through the events in
   * order, each no sooner than decisionLatencyNs after it happened, so a fast fault stream builds
   * a queue and commands land late, as on Linux.
   */
  readonly decisionEventNs: number;
  /**
   * 1: the copier runs on the strategies' thread's CPU (placement shared on two CPUs), goes first
   * there, and the thread handles no event while it copies; 0: they have CPUs of their own.
   */
  readonly copierSharesEventLoopCpu: number;
  /**
   * 1: the fault thread runs on the restored processes' CPU (placement shared) and goes first
   * there: while it serves one process's fault the others do not run; 0: it has a CPU of its own.
   */
  readonly faultThreadSharesProcessCpu: number;
  /**
   * From a background command reaching the copier's queue while the copier thread sleeps to its
   * first call starting: the thread's wake-up (on the event loop's CPU it waits for the strategies'
   * thread to yield).
   */
  readonly copierWakeNs: number;
  /** Writing one page before uffd registration (plan prefill). */
  readonly prefillPageNs: number;
  /**
   * Pre-copy rounds (model/precopy.ts): one send of up to PRECOPY_BATCH_PAGES pages from the live
   * source into the destination before registration (process_vm_readv and process_vm_writev)...
   */
  readonly precopyCallNs: number;
  /** ...and each page of it. */
  readonly precopyPageNs: number;
  /** Collecting the source's dirty pages at the end of a round (PAGEMAP_SCAN, get and clear)... */
  readonly dirtyScanNs: number;
  /** ...and each page of the source it walks. */
  readonly dirtyScanPageNs: number;
  /** The source's own cost of one access of its source phase beyond the gap (a write-protect fault averaged in). */
  readonly sourceAccessNs: number;
  /**
   * From a round's end to the source's next step: the round reaches the session, which decides
   * whether to switch over, and the answer comes back. The source phase runs on meanwhile, so its
   * writes in that time are dirty in the next round (or at the switch-over).
   */
  readonly precopyDecisionNs: number;
  /** Dropping one run of the pages the source wrote after their round (MADV_DONTNEED: freed, TLB flushed). */
  readonly discardRunNs: number;
  /**
   * From the restore's start to its first step: the runner process spawned, the image's VMAs
   * mapped, the monitor connected; with the hellos and GO at the end of the start-up, what a
   * demand-only restore of any size spends before its workload runs. Pre-copy rounds start after
   * it, so it is not part of their downtime.
   */
  readonly runnerStartNs: number;
  /** UFFDIO_REGISTER of one VMA. */
  readonly registerVmaNs: number;
  readonly forkNs: number;
  /**
   * With a link (run --link, or a page server): what one request to the page server costs both
   * ends beyond the link's latency and bandwidth (loopback TCP, the syscalls, the server's turn).
   */
  readonly linkRequestNs: number;
  /** With a link: what each page of an answer costs both ends (sendfile, the client's read). */
  readonly linkPageNs: number;
  /** The workload runner's own PSS, added to every process's memory sample. */
  readonly processBaseBytes: number;
  /**
   * A process's first access to a page that is already present (a TLB miss with its page walk,
   * nested on a VM, and cache misses). A page that faulted pays this inside the fault's wake.
   */
  readonly touchPageNs: number;
  /** A write to a page shared with the parent after fork: the kernel's copy-on-write fault. */
  readonly cowPageNs: number;
  /**
   * CPUs the restored processes share: with more running processes than this, their compute
   * stretches in proportion (the Linux backend's placement puts them on one CPU by default);
   * 0: every process has a CPU of its own.
   */
  readonly processCpus: number;
}

/** A fault within this many pages of the previous fault's copy is near it (8 PTEs share a cache line). */
export const FAULT_NEAR_PAGES = 8;

/** Idle time of the monitor after which a fault pays all of faultIdleNs. */
export const FAULT_IDLE_FULL_NS = 100_000;

/** The cold-cache part of a fault that finds the monitor idle for `idleNs`. */
export function faultIdleCostNs(m: CostModel, idleNs: number): number {
  return idleNs <= 0 ? 0 : Math.round((m.faultIdleNs * Math.min(idleNs, FAULT_IDLE_FULL_NS)) / FAULT_IDLE_FULL_NS);
}

/** Rebind this to use another cost model (the CLI's --cost-model FILE). */
export const SimCostModel = Symbol('SimCostModel');

/**
 * `restorelab fidelity --calibrate` on a 2 vCPU VM with Linux 6.18 (the linux backend's default
 * placement: fault thread, SCHED_FIFO, and process on one CPU). A one-page demand fault: the
 * monitor logs ~3 us (read to wake), the process waits ~10.5 us in all; a page inside a fault's
 * copy ~1.5 us, a page of the copier's large calls ~1.6 us (pages from the image's file into fresh
 * memory); ~1 us more after the monitor idled 100 us; a first access to a present page ~0.25 us
 * (nested page walk), a child's copy-on-write fault ~3.2 us; the processes share one CPU; a
 * reactive strategy's command comes back ~145 us after the fault when the event loop keeps up.
 * These moved by 20-40% between minutes on that VM (see docs/experiments.md). fork, prefill and
 * register are estimates. Over a shaped loopback page server a request costs the two ends ~50 us
 * beyond the link (mostly the timer wake-ups around the shaper's waits), a page ~2 us. The copy
 * engines (measured in the addon, same VM): a page written into a memfd ~1.4 us, UFFDIO_CONTINUE
 * ~0.6 us a call and ~0.25 us a page; a page written into a staging area ~1.45 us, UFFDIO_MOVE
 * ~0.1 us a page, ~10 us a call with the round trip to the restored process's mover thread. A 2 MiB
 * hugetlbfs page placed with UFFDIO_COPY ~375 us in a 1 GiB eager restore (more per page in smaller
 * ones: ~530 us at 256 MiB, ~920 us at 32 MiB; 240-280 us in a C loop from anonymous memory).
 * Pre-copy rounds, fitted to the rounds' events of Linux runs of hotcold (16384 pages, 8192 source
 * accesses 2 us apart): a round costs ~0.2 ms of PAGEMAP_SCAN and ~2.6 us a page sent in batches
 * of one or a few pages (~1.9 us a page in round 1's full batches of 64); the source's accesses take
 * ~0.6 us each beyond their gap while the rounds run beside it; the round's report to the session
 * and its answer take 0.2-0.5 ms (1.1 ms after round 1; 1-4 ms when a reactive strategy keeps the
 * event loop busy); the destination drops a run of the last dirty pages in ~2 us (3091 runs in 6.4 ms). A demand-only
 * restore's workload starts 7-15 ms after the restore does, whatever the image's size (seq, 1024
 * to 65536 pages).
 */
export const defaultCostModel: CostModel = Object.freeze({
  faultOverheadNs: 1200,
  faultWakeNs: 7700,
  faultIdleNs: 1000,
  faultJumpNs: 50,
  copyCallNs: 250,
  copyPageNs: 1600,
  faultCopyPageNs: 1500,
  ruleCallNs: 2200,
  cacheFillPageNs: 1400,
  continueCallNs: 600,
  continuePageNs: 250,
  stagePageNs: 1450,
  moveCallNs: 10000,
  movePageNs: 100,
  hugePageCopyNs: 375000,
  zeroPageNs: 450,
  madviseNs: 450,
  decisionLatencyNs: 145000,
  decisionEventNs: 0,
  copierSharesEventLoopCpu: 1,
  faultThreadSharesProcessCpu: 1,
  copierWakeNs: 7000,
  prefillPageNs: 600,
  precopyCallNs: 750,
  precopyPageNs: 1850,
  dirtyScanNs: 20000,
  dirtyScanPageNs: 12,
  sourceAccessNs: 600,
  precopyDecisionNs: 300_000,
  discardRunNs: 2000,
  runnerStartNs: 10_000_000,
  registerVmaNs: 3000,
  forkNs: 100000,
  linkRequestNs: 50000,
  linkPageNs: 2000,
  processBaseBytes: 0,
  touchPageNs: 250,
  cowPageNs: 3200,
  processCpus: 1,
});

export const costModelKeys = Object.keys(defaultCostModel) as (keyof CostModel)[];

/**
 * Checks an object read from JSON: only known keys (keys starting with '_' are comments), each a
 * finite number >= 0; missing keys take the defaults. Throws UsageError in one line.
 */
export function parseCostModel(value: unknown, source: string): CostModel {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`cost model ${source}: expected a JSON object with keys ${costModelKeys.join(', ')}`);
  const out: Record<string, number> = { ...defaultCostModel };
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k.startsWith('_')) continue;
    if (!(costModelKeys as string[]).includes(k))
      throw new UsageError(`cost model ${source}: unknown key '${k}' (known: ${costModelKeys.join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new UsageError(`cost model ${source}: '${k}' must be a number >= 0, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  return Object.freeze(out as unknown as CostModel);
}

export function loadCostModel(file: string): CostModel {
  let text: string;
  try {
    text = readRegularFile(file, FILE_LIMITS.costModel).toString('utf8');
  } catch (e) {
    throw new UsageError(`cannot read cost model ${file}: ${fileError(e)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`cost model ${file} is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return parseCostModel(value, file);
}

/**
 * The cost model as the copy engine sees it: UFFDIO_COPY's call and page costs replaced by the
 * engine's (continue: page-cache write and UFFDIO_CONTINUE; move: staging write and UFFDIO_MOVE),
 * a fault's and a rule call's extra over the copier's calls kept. The first write to a page
 * continue mapped is a copy-on-write fault (cowPageNs), charged by the replay.
 */
export function engineCostModel(m: CostModel, engine: CopyEngine): CostModel {
  if (engine === 'copy') return m;
  const [callNs, pageNs] = engine === 'continue' ? [m.continueCallNs, m.cacheFillPageNs + m.continuePageNs] : [m.moveCallNs, m.stagePageNs + m.movePageNs];
  return Object.freeze({
    ...m,
    copyCallNs: callNs,
    copyPageNs: pageNs,
    faultCopyPageNs: Math.max(0, pageNs + m.faultCopyPageNs - m.copyPageNs),
    ruleCallNs: Math.max(0, m.ruleCallNs - m.copyCallNs - m.faultCopyPageNs + callNs + pageNs),
  });
}

/** Time of the one UFFDIO_COPY call a fault makes for `pages` pages (its pages' fetch over a link not included). */
export function faultCopyCostNs(m: CostModel, pages: number): number {
  return callsAndPagesNs(m, 1, pages, m.faultCopyPageNs);
}

/** Time of the fault thread's call copying `pages` consecutive pages for a fault-time rule. */
export function ruleCopyCostNs(m: CostModel, pages: number): number {
  return m.ruleCallNs + (pages - 1) * m.faultCopyPageNs;
}

/** Time of copying `pages` pages (whole huge pages) into a hugetlb VMA, however many calls. */
export function hugetlbCopyCostNs(m: CostModel, pages: number): number {
  return (pages / PAGES_PER_HUGE_PAGE) * m.hugePageCopyNs;
}

/** Time of `calls` UFFDIO_COPY calls moving `pages` pages in all (their fetch over a link not included). */
export function copyCostNs(m: CostModel, pages: number, calls = 1): number {
  return callsAndPagesNs(m, calls, pages, m.copyPageNs);
}

function callsAndPagesNs(m: CostModel, calls: number, pages: number, pageNs: number): number {
  return calls * m.copyCallNs + pages * pageNs;
}
