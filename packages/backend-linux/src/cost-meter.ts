import { CopyCause, CopyEngine, EventKind, EventStore, Link, linkAnswerNs, hugetlbPagesNeeded, MAX_COPY_PAGES, mean, median, PAGE_SIZE, PAGES_PER_HUGE_PAGE, runRestore, Strategy, Workload } from '@restorelab/core';
import { backendRun, builtIn, imageOnDisk, precopyAll, requireNative, WorkloadOnDisk } from './bench';
import { backgroundChain, chainTimes, decisionLatencies, nextPageOnFault } from './decision-latency';
import { FaultCostFit, faultSamples, FaultSample, fitFaultCost } from './fault-cost-fit';
import { LinuxBackend } from './linux-backend';
import { KernelCosts } from './native-binding';
import { allowedCpus, copierSharesEventLoopCpu, DEFAULT_PLACEMENT, faultThreadSharesProcessCpu, Placement, processCpuCount } from './placement';
import { freeHugetlbPages } from './hugetlb-pool';
import { fitPrecopyCosts, PrecopyCosts } from './precopy-cost-fit';

export interface MeasuredCosts {
  /** A demand fault as the backend logs it (monitor read to wake), without its copy call. */
  readonly faultOverheadNs: number;
  /** The rest of a fault's round trip as the workload sees it (delivery and wake-ups). */
  readonly faultWakeNs: number;
  /** What a one-page fault costs more when faults come 100 us apart (the monitor's caches cold). */
  readonly faultIdleNs: number;
  /** What a one-page fault costs more in random order than next to the previous one. */
  readonly faultJumpNs: number;
  /** Per page of the copy a fault makes. */
  readonly faultCopyPageNs: number;
  readonly copyCallNs: number;
  /** One single-page UFFDIO_COPY the fault thread makes for a fault-time rule, as the process waits for it. */
  readonly ruleCallNs: number;
  /** Per page of the copier's (precopy's) large calls. */
  readonly copyPageNs: number;
  readonly zeroPageNs: number;
  readonly madviseNs: number;
  /** A forked child's write fault that copies a page it shared with its parent. */
  readonly cowPageNs: number;
  /** A first access to a present page (TLB miss, page walk, cache misses), from an eager restore. */
  readonly touchPageNs: number;
  /**
   * From a fault to the session handling a reactive strategy's command for it (median), with
   * faults 100 us apart: the hand-off when the event loop keeps up.
   */
  readonly decisionLatencyNs: number;
  /** What the strategies' thread spends per event when faults come faster than it keeps up (median). */
  readonly decisionEventNs: number;
  /** CPUs the restored processes may use under the placement measured. */
  readonly processCpus: number;
  /** 1 when the placement measured pins the copier and the event loop to one CPU, else 0. */
  readonly copierSharesEventLoopCpu: number;
  /** From a background command reaching the sleeping copier to its first call starting (median). */
  readonly copierWakeNs: number;
  /** 1 when the placement measured pins the fault thread and the restored processes to one CPU, else 0. */
  readonly faultThreadSharesProcessCpu: number;
  /** A page server request's cost to the two ends beyond the link's latency and bandwidth (shaped loopback). */
  readonly linkRequestNs: number;
  /** Per page of a page server's answer, beyond the link's bandwidth. */
  readonly linkPageNs: number;
  /** The copy engines' steps (kernel operations timed in this process); null where the kernel cannot. */
  readonly cacheFillPageNs: number | null;
  readonly continueCallNs: number | null;
  readonly continuePageNs: number | null;
  readonly stagePageNs: number | null;
  readonly moveCallNs: number | null;
  readonly movePageNs: number | null;
  /** Per 2 MiB page of a real eager restore of a hugetlb VMA; null when the hugetlb pool has no room for it. */
  readonly hugePageCopyNs: number | null;
  /** Pre-copy rounds (hotcold restores with rounds at two sizes); null where this kernel cannot do them. */
  readonly precopyCallNs: number | null;
  readonly precopyPageNs: number | null;
  readonly dirtyScanNs: number | null;
  readonly dirtyScanPageNs: number | null;
  readonly sourceAccessNs: number | null;
  readonly precopyDecisionNs: number | null;
  readonly discardRunNs: number | null;
}

/** The link the calibration restores through a shaped loopback page server. */
const CALIBRATION_LINK: Link = { latencyUs: 100, bandwidth: 1.25e9, channels: 2 };

/** 64 huge pages (128 MiB) of hugetlbfs memory, restored eagerly: what placing one costs (less per page the larger the restore: 920 us at 32 MiB, 375 us at 1 GiB here). */
export const HUGETLB_WORKLOAD = 'hugetlb:pages=32768,vmas=1,accesses=8192';

/** A source phase that keeps writing a hot set, at two sizes: the scan's fixed part and its walk apart. */
const PRECOPY_WORKLOADS = ['hotcold:pages=8192,accesses=2000,sourceAccesses=4096,gapNs=2000', 'hotcold:pages=32768,accesses=2000,sourceAccesses=4096,gapNs=2000'];
const precopyRounds: Strategy = { plan: (ctx) => ctx.precopyRounds({ maxRounds: 6, stopWhenNotShrinking: false }) };

/** Every fault also copies 16 pages along a stride of 2: 16 single-page calls of the fault thread. */
const STRIDE_RULE = { stride: 2, count: 16 };
const strideRule: Strategy = {
  plan: (ctx) => {
    for (const p of ctx.image.processes) ctx.faultRules(p.pid, { stride: STRIDE_RULE });
  },
};

/** Every fault copies its page and up to `forward` lazy pages after it. */
function windowOf(forward: number): Strategy {
  return { plan: (ctx) => ctx.faultWindow({ forward, backward: 0 }) };
}

/** One logged restore: its demand faults (pages copied, latency), its workload time, its decisions. */
async function loggedRestore(
  workload: Workload,
  strategy: Strategy | null,
  placement: Placement,
  link?: Link,
  copyEngine?: CopyEngine,
): Promise<{ faults: FaultSample[]; workloadNs: number; demandFaults: number; decisions: number[]; eventNs: number; waits: number[]; stalls: number[]; ruleCalls: number; store: EventStore }> {
  const strategies = strategy ? [{ name: 'calibrate', spec: 'calibrate', instance: strategy }] : [];
  const backend = new LinuxBackend({ noVerify: true, placement });
  const out = await runRestore({ backend, workload, strategy: strategy ? 'calibrate' : 'demand-only', strategies, seed: 1, logPath: null, link, copyEngine });
  const m = out.result.metrics;
  return {
    faults: faultSamples(out.store),
    workloadNs: m.workloadNs,
    demandFaults: m.demandFaults,
    decisions: decisionLatencies(out.store),
    eventNs: backend.lastEventHandlingNs,
    waits: waitBeyondServer(out.store),
    stalls: ofKind(out.store, EventKind.FaultStalled, (s, i) => s.b[i]),
    ruleCalls: ofKind(out.store, EventKind.PagesCopied, (s, i) => (s.c[i] === CopyCause.Prefetch ? s.d[i] : 0)).reduce((x, y) => x + y, 0),
    store: out.store,
  };
}

function ofKind(store: EventStore, kind: number, value: (s: EventStore, i: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < store.length; i++) if (store.kind[i] === kind) out.push(value(store, i));
  return out;
}

/**
 * Per fault, what the process waited (FaultStalled, timed by the runner) beyond what the page
 * server logged for it (FaultResolved): the delivery and wake-ups the simulator's faultWakeNs is.
 */
function waitBeyondServer(store: EventStore): number[] {
  const served = new Map<string, number>();
  const out: number[] = [];
  for (let i = 0; i < store.length; i++) {
    const key = `${store.pid[i]}:${store.a[i]}`;
    if (store.kind[i] === EventKind.FaultResolved) served.set(key, store.b[i]);
    else if (store.kind[i] === EventKind.FaultStalled) {
      const s = served.get(key);
      if (s !== undefined) out.push(store.b[i] - s);
    }
  }
  return out;
}

/** The compute gaps of the replayed (restore-phase) accesses. */
function restoreGapNs(workload: Workload): number {
  let ns = 0;
  for (const t of workload.traces) for (let k = t.migrateAt; k < t.gapNs.length; k++) ns += t.gapNs[k];
  return ns;
}

/** Faults 100 us apart: the hand-off itself, not the backlog of an event loop that cannot keep up. */
const DECISION_WORKLOAD = 'seq:pages=512,gapNs=100000';

/** Fault windows the calibration restores use: 1, 2, 3, 5, 9 and 17 pages per fault. */
const CALIBRATION_WINDOWS = [0, 1, 2, 4, 8, 16];

export interface MeasureCostsOptions {
  /** Pages of the seq image the restores use (default 2048). */
  readonly pages?: number;
  /** Rounds of restores (default 7): each is fitted on its own, the median round's costs count. */
  readonly rounds?: number;
  /** Measure under this placement (default shared): the simulator then models runs made with it. */
  readonly placement?: Placement;
}

/**
 * Measures the costs the simulator's cost model charges, a round at a time, so that rounds can be
 * spread over the same minutes as the runs the model is compared with (a shared machine drifts).
 * - a fault, from the latencies the backend itself logs (monitor read to wake) on `seq` restores:
 *   per page, the slope of a fit over faults copying 1 to 17 pages; the fixed part, what leaves
 *   the demand-only restore's one-page faults (most faults copy one page);
 * - what a one-page fault costs more after the monitor idled 100 us (a sparse restore) and in
 *   random order (a uniform restore), each against the sequential one-page faults of the round;
 * - what the process waits on top (delivery, wake-ups): its own wait at each fault (FaultStalled)
 *   minus the server's latency for it, the mean over the demand-only seq and the uniform restores;
 * - a first access to a present page: an eager restore's workload time per page; the copier's
 *   per-page cost: its precopy;
 * - the decision latency of a reactive strategy: one that answers every fault of the sparse restore,
 *   and what its event loop spends per event when the dense seq restore's faults outrun it;
 * - a fault-time rule's single-page call: a stride-rule restore's stall per fault beyond the
 *   demand-only one, over its rule calls per fault;
 * - per-call, zero-page, madvise and copy-on-write costs: the kernel operations timed in this process;
 * - a page server's own costs: the demand-only and eager restores again through a shaped loopback
 *   page server (CALIBRATION_LINK), less the link's latency and bandwidth and the local restores'
 *   costs: per request from the one-page faults, per page from the precopy's 512-page requests;
 * - pre-copy rounds: hotcold restores with rounds at two image sizes (precopy-cost-fit.ts), the
 *   scan's walk per page from their difference.
 */
export class CostMeter {
  private readonly fits: FaultCostFit[] = [];
  private readonly wakes: number[] = [];
  private readonly bulk: number[] = [];
  /** Per page of a real eager restore's precopy with the continue and the move engine. */
  private readonly continueBulk: number[] = [];
  private readonly moveBulk: number[] = [];
  /** What a one-page demand fault costs more with the continue and the move engine than with copy. */
  private readonly continueFault: number[] = [];
  private readonly moveFault: number[] = [];
  private readonly hugePages: number[] = [];
  private readonly touches: number[] = [];
  private readonly decisions: number[] = [];
  /** From a one-page background command landing to the copier's answer (a chain of them, sparse restore). */
  private readonly copierServes: number[] = [];
  private readonly eventNs: number[] = [];
  private readonly ruleCalls: number[] = [];
  private readonly idles: number[] = [];
  private readonly jumps: number[] = [];
  private readonly onePage: number[] = [];
  private readonly linkRequests: number[] = [];
  private readonly linkPages: number[] = [];
  /** Per round: the pre-copy fits of the small and the large hotcold restore (none: rounds unavailable). */
  private readonly precopy: [PrecopyCosts, PrecopyCosts][] = [];
  private precopyWorks = true;
  private warm = false;

  private constructor(
    private readonly kernel: KernelCosts,
    private readonly image: WorkloadOnDisk,
    private readonly random: WorkloadOnDisk,
    private readonly sparse: Workload,
    private readonly placement: Placement,
    /** null: the hugetlb pool cannot hold it (hugePageCopyNs keeps its default). */
    private readonly huge: Workload | null,
    private readonly precopyWorkloads: readonly Workload[],
  ) {}

  static open(opts: Pick<MeasureCostsOptions, 'pages' | 'placement'> = {}): CostMeter {
    const kernel = requireNative().binding.measureKernelCosts();
    // the generator's own gaps and writes, as in the workloads the simulator is compared on
    const pages = opts.pages ?? 2048;
    const image = imageOnDisk(`seq:pages=${pages}`);
    let random: WorkloadOnDisk;
    try {
      random = imageOnDisk(`uniform:pages=${pages},accesses=${4 * pages}`);
    } catch (e) {
      image.close();
      throw e;
    }
    const huge = builtIn(HUGETLB_WORKLOAD);
    const hugeFits = hugetlbPagesNeeded(huge.image) <= freeHugetlbPages();
    return new CostMeter(kernel, image, random, builtIn(DECISION_WORKLOAD), opts.placement ?? DEFAULT_PLACEMENT, hugeFits ? huge : null, PRECOPY_WORKLOADS.map(builtIn));
  }

  get rounds(): number {
    return this.fits.length;
  }

  /** One round of restores (the first one is preceded by a warm-up: page cache, JIT). */
  async round(): Promise<void> {
    const workload = this.image.workload;
    const placement = this.placement;
    if (!this.warm) {
      await loggedRestore(workload, null, placement);
      // the pool's huge pages are slow the first time they are used
      if (this.huge) await backendRun(this.huge, precopyAll, placement);
      this.warm = true;
    }
    const gapNs = restoreGapNs(workload);
    const samples: FaultSample[] = [];
    // faults back to back (seq) and apart (uniform): the wake costs the process either way
    const waits: number[] = [];
    let plainStall = NaN;
    let onePage = 0;
    for (const w of CALIBRATION_WINDOWS) {
      const run = await loggedRestore(workload, w > 0 ? windowOf(w) : null, placement);
      samples.push(...run.faults);
      if (w === 0 && run.demandFaults > 0) {
        onePage = mean(run.faults.map((f) => f.latencyNs));
        waits.push(...run.waits);
        plainStall = mean(run.stalls);
      }
    }
    this.fits.push(fitFaultCost(samples));
    this.onePage.push(onePage);
    const eager = await backendRun(workload, precopyAll, placement);
    if (eager.stats.precopyPages > 0) this.bulk.push(eager.stats.precopyNs / eager.stats.precopyPages);
    const engines = [
      ['continue', this.continueBulk, this.continueFault],
      ['move', this.moveBulk, this.moveFault],
    ] as const;
    for (const [engine, bulk, fault] of engines) {
      if (this.kernel[engine === 'continue' ? 'continuePageNs' : 'movePageNs'] === null) continue;
      const run = await backendRun(workload, precopyAll, placement, undefined, engine);
      if (run.stats.precopyPages > 0) bulk.push(run.stats.precopyNs / run.stats.precopyPages);
      const demand = await loggedRestore(workload, null, placement, undefined, engine);
      if (demand.faults.length > 0 && onePage > 0) fault.push(mean(demand.faults.map((f) => f.latencyNs)) - onePage);
    }
    if (this.huge) {
      const run = await backendRun(this.huge, precopyAll, placement);
      if (run.stats.precopyPages > 0) this.hugePages.push(run.stats.precopyNs / (run.stats.precopyPages / PAGES_PER_HUGE_PAGE));
    }
    const remote = await loggedRestore(workload, null, placement, CALIBRATION_LINK);
    const request = remote.faults.length > 0 ? mean(remote.faults.map((f) => f.latencyNs)) - onePage - linkAnswerNs(CALIBRATION_LINK, PAGE_SIZE) : NaN;
    const remoteEager = await backendRun(workload, precopyAll, placement, CALIBRATION_LINK);
    const pages = remoteEager.stats.precopyPages;
    if (pages > 0 && eager.stats.precopyPages === pages && !Number.isNaN(request)) {
      const requests = remoteEager.stats.remoteRequests;
      const perPage = (remoteEager.stats.precopyNs - eager.stats.precopyNs - requests * (linkAnswerNs(CALIBRATION_LINK, 0) + request)) / pages - (PAGE_SIZE * 1e9) / CALIBRATION_LINK.bandwidth;
      this.linkPages.push(perPage);
      // a one-page answer carries one page of it
      this.linkRequests.push(request - perPage);
    }
    // nothing faults: the workload is its gaps and one first access to each page
    this.touches.push((eager.workloadNs - gapNs) / workload.image.processes[0].totalPages);
    // one-page faults against the sequential ones of this round: 100 us apart, then in random order
    const reactive = await loggedRestore(this.sparse, nextPageOnFault, placement);
    if (reactive.decisions.length > 0) this.decisions.push(median(reactive.decisions));
    // a background push one page at a time beside the same sparse restore: the copier wakes for each
    const chain = chainTimes((await loggedRestore(this.sparse, backgroundChain, placement)).store);
    if (!Number.isNaN(chain.landedToAnswerNs)) this.copierServes.push(chain.landedToAnswerNs);
    const sparseOnePage = reactive.faults.filter((f) => f.pages === 1).map((f) => f.latencyNs);
    if (sparseOnePage.length > 0) this.idles.push(mean(sparseOnePage) - onePage);
    // a stride rule: the process waits for the fault thread's single-page calls before its wake
    const ruled = await loggedRestore(workload, strideRule, placement);
    if (ruled.demandFaults > 0 && ruled.ruleCalls > 0 && !Number.isNaN(plainStall))
      this.ruleCalls.push((mean(ruled.stalls) - plainStall) / (ruled.ruleCalls / ruled.demandFaults));
    // the same strategy on the dense seq restore: what the JS thread spends per event it hands on
    const dense = await loggedRestore(workload, nextPageOnFault, placement);
    if (dense.eventNs > 0) this.eventNs.push(dense.eventNs);
    const random = await loggedRestore(this.random.workload, null, placement);
    if (random.faults.length > 0) this.jumps.push(mean(random.faults.map((f) => f.latencyNs)) - onePage);
    waits.push(...random.waits);
    // the mean: the simulator's stall is a sum, and the process's waits have a tail
    if (waits.length > 0) this.wakes.push(mean(waits));
    await this.precopyRound();
  }

  /** The rounds of the two hotcold restores, fitted each (no WP_ASYNC on this kernel: none, once and for all). */
  private async precopyRound(): Promise<void> {
    if (!this.precopyWorks) return;
    const fits: PrecopyCosts[] = [];
    for (const w of this.precopyWorkloads) {
      const strategies = [{ name: 'calibrate', spec: 'calibrate', instance: precopyRounds }];
      let store: EventStore;
      try {
        store = (await runRestore({ backend: new LinuxBackend({ noVerify: true, placement: this.placement }), workload: w, strategy: 'calibrate', strategies, seed: 1, logPath: null })).store;
      } catch (e) {
        if (!/asynchronous write-protect/.test((e as Error).message)) throw e;
        this.precopyWorks = false;
        return;
      }
      const t = w.traces[0];
      let gap = 0;
      for (let k = 0; k < t.migrateAt; k++) gap += t.gapNs[k];
      const fit = fitPrecopyCosts(store, w.image.processes[0], t.migrateAt, t.migrateAt > 0 ? gap / t.migrateAt : 0);
      if (!fit) return;
      fits.push(fit);
    }
    this.precopy.push([fits[0], fits[1]]);
  }

  /** The costs of the median round (a busy spell of a shared machine spoils some rounds, not the result). */
  result(): MeasuredCosts {
    if (this.fits.length === 0) throw new Error('no calibration round was measured');
    const k = this.kernel;
    // the slope from the windows, the one-page fault as measured: most faults copy one page
    const perPageNs = median(this.fits.map((f) => f.perPageNs));
    const fixedNs = median(this.onePage) - perPageNs;
    const perCallShare = k.copyCallNs / 512;
    const copyPageNs = Math.round(this.bulk.length ? Math.max(0, median(this.bulk) - perCallShare) : k.copyPageNs);
    const measured = {
      faultOverheadNs: Math.max(0, Math.round(fixedNs - k.copyCallNs)),
      faultWakeNs: Math.max(0, Math.round(median(this.wakes))),
      faultIdleNs: Math.max(0, Math.round(median(this.idles))),
      faultJumpNs: Math.max(0, Math.round(median(this.jumps))),
      faultCopyPageNs: Math.round(perPageNs),
      copyCallNs: Math.round(k.copyCallNs),
      ruleCallNs: this.ruleCalls.length > 0 ? Math.max(0, Math.round(median(this.ruleCalls))) : Math.round(k.copyCallNs + k.copyPageNs),
      copyPageNs,
      zeroPageNs: Math.round(k.zeroPageNs),
      madviseNs: Math.round(k.madviseNs),
      cowPageNs: Math.round(k.cowPageNs),
      touchPageNs: Math.max(0, Math.round(median(this.touches))),
      decisionLatencyNs: Math.round(median(this.decisions)),
      decisionEventNs: this.eventNs.length > 0 ? Math.round(median(this.eventNs)) : 0,
      processCpus: processCpuCount(this.placement, allowedCpus()),
      copierSharesEventLoopCpu: copierSharesEventLoopCpu(this.placement, allowedCpus()) ? 1 : 0,
      faultThreadSharesProcessCpu: faultThreadSharesProcessCpu(this.placement, allowedCpus()) ? 1 : 0,
      // a one-page background copy is the copier's call and page after its wake-up
      copierWakeNs: this.copierServes.length > 0 ? Math.max(0, Math.round(median(this.copierServes) - k.copyCallNs - copyPageNs)) : 0,
      linkRequestNs: this.linkRequests.length > 0 ? Math.max(0, Math.round(median(this.linkRequests))) : 0,
      linkPageNs: this.linkPages.length > 0 ? Math.max(0, Math.round(median(this.linkPages))) : 0,
    };
    const orNaN = (v: readonly number[]) => (v.length ? median(v) : NaN);
    return {
      ...measured,
      ...engineCosts(k, measured.copyCallNs, measured.copyPageNs, {
        continueBulkNs: orNaN(this.continueBulk),
        moveBulkNs: orNaN(this.moveBulk),
        continueFaultNs: orNaN(this.continueFault),
        moveFaultNs: orNaN(this.moveFault),
      }),
      hugePageCopyNs: this.hugePages.length > 0 ? Math.round(median(this.hugePages)) : null,
      ...this.precopyResult(),
    };
  }

  /** Medians over the rounds; the scan's walk per page from the two sizes, its fixed part what is left. */
  private precopyResult(): Pick<MeasuredCosts, (typeof PRECOPY_KEYS)[number]> {
    if (this.precopy.length === 0) return Object.fromEntries(PRECOPY_KEYS.map((k) => [k, null])) as Record<(typeof PRECOPY_KEYS)[number], null>;
    const [small, large] = this.precopyWorkloads.map((w) => w.image.processes[0].totalPages);
    const both = (f: (c: PrecopyCosts) => number) => Math.max(0, Math.round(median(this.precopy.flatMap((r) => r.map(f)))));
    const perPage = median(this.precopy.map(([a, b]) => (b.scanNs - a.scanNs) / (large - small)));
    const fixed = median(this.precopy.map(([a]) => a.scanNs - Math.max(0, perPage) * small));
    return {
      precopyCallNs: both((c) => c.precopyCallNs),
      precopyPageNs: both((c) => c.precopyPageNs),
      dirtyScanNs: Math.max(0, Math.round(fixed)),
      dirtyScanPageNs: Math.max(0, Math.round(perPage)),
      sourceAccessNs: both((c) => c.sourceAccessNs),
      precopyDecisionNs: both((c) => c.precopyDecisionNs),
      discardRunNs: both((c) => c.discardRunNs),
    };
  }

  close(): void {
    this.image.close();
    this.random.close();
  }
}

const ENGINE_KEYS = ['cacheFillPageNs', 'continueCallNs', 'continuePageNs', 'stagePageNs', 'moveCallNs', 'movePageNs'] as const;
const PRECOPY_KEYS = ['precopyCallNs', 'precopyPageNs', 'dirtyScanNs', 'dirtyScanPageNs', 'sourceAccessNs', 'precopyDecisionNs', 'discardRunNs'] as const;

/**
 * The engines' kernel steps as timed in this process, the page write of each (memfd, staging) taken
 * from a real eager restore's precopy per page instead where there is one (NaN: none), as copyPageNs
 * is: at scale a page costs more than in a small region kept warm.
 */
function engineCosts(
  k: KernelCosts,
  copyCallNs: number,
  copyPageNs: number,
  real: { continueBulkNs: number; moveBulkNs: number; continueFaultNs: number; moveFaultNs: number },
): Pick<MeasuredCosts, (typeof ENGINE_KEYS)[number]> {
  const round = (v: number | null) => (v === null ? null : Math.round(v));
  const out = Object.fromEntries(ENGINE_KEYS.map((key) => [key, round(k[key])])) as Record<(typeof ENGINE_KEYS)[number], number | null>;
  const rest = (bulk: number, callNs: number | null, pageNs: number | null) =>
    Number.isFinite(bulk) && callNs !== null && pageNs !== null ? Math.max(0, Math.round(bulk - pageNs - callNs / MAX_COPY_PAGES)) : null;
  out.cacheFillPageNs = rest(real.continueBulkNs, k.continueCallNs, k.continuePageNs) ?? out.cacheFillPageNs;
  out.stagePageNs = rest(real.moveBulkNs, k.moveCallNs, k.movePageNs) ?? out.stagePageNs;
  // a one-page fault costs the engine's call and page where copy's cost its call and page
  // (engineCostModel): the call is what a real fault costs more, less the page's difference
  const call = (extraNs: number, write: number | null, place: number | null) =>
    Number.isFinite(extraNs) && write !== null && place !== null ? Math.max(0, Math.round(extraNs + copyCallNs + copyPageNs - write - place)) : null;
  out.continueCallNs = call(real.continueFaultNs, out.cacheFillPageNs, out.continuePageNs) ?? out.continueCallNs;
  out.moveCallNs = call(real.moveFaultNs, out.stagePageNs, out.movePageNs) ?? out.moveCallNs;
  return out;
}

/** The cost model of this machine: `rounds` rounds of a CostMeter in a row. */
export async function measureCosts(opts: MeasureCostsOptions = {}): Promise<MeasuredCosts> {
  const meter = CostMeter.open(opts);
  try {
    for (let r = 0; r < Math.max(1, opts.rounds ?? 7); r++) await meter.round();
    return meter.result();
  } finally {
    meter.close();
  }
}

