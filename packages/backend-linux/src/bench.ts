import {
  builtInWorkloads,
  readImage,
  writeImage,
  canonicalSpec,
  EventStore,
  parseSpec,
  resolveParams,
  RestoreSession,
  runRestore,
  Strategy,
  Workload,
} from '@restorelab/core';
import * as fs from 'fs';
import { LinuxBackend, makeRunDir } from './linux-backend';
import { KernelCosts, loadNative, MonitorMode, NativeMonitorStats } from './native-binding';
import { NativeRun } from './native-run';
import { decisionLatencies, nextPageOnFault } from './decision-latency';
import { FaultCostFit, faultSamples, FaultSample, fitFaultCost } from './fault-cost-fit';
import { allowedCpus, DEFAULT_PLACEMENT, Placement, planCpus } from './placement';
import { PlanFlag, writeRunFiles } from './run-files';

export interface BenchOverheadOptions {
  /** Pages of the seq workload (default 65536). */
  readonly pages?: number;
  /** Measured runs of each kind after one warm-up round; the best (fastest) is kept (default 5). */
  readonly repeat?: number;
  /** The same for the reference handler and the backend (default shared). */
  readonly placement?: Placement;
}

export interface BenchOverheadResult {
  readonly workload: string;
  /** Minimal C handler (poll + read + one-page UFFDIO_COPY), ns per demand fault seen by the workload. */
  readonly referenceNsPerFault: number;
  /** The linux backend (events, windows, JS draining the ring), same workload. */
  readonly backendNsPerFault: number;
  /** backend / reference: target <= 1.2. */
  readonly faultRatio: number;
  /** Every page in 512-page UFFDIO_COPY calls, nothing else. */
  readonly referenceCopyGBps: number;
  /** The backend's precopy of every page (eager). */
  readonly backendCopyGBps: number;
  /** backend / reference: target >= 0.9. */
  readonly copyRatio: number;
}

export interface MeasuredCosts {
  /** A demand fault as the backend logs it (monitor read to wake), without its copy call. */
  readonly faultOverheadNs: number;
  /** The rest of a fault's round trip as the workload sees it (delivery and wake-ups). */
  readonly faultWakeNs: number;
  /** Per page of the copy a fault makes. */
  readonly faultCopyPageNs: number;
  readonly copyCallNs: number;
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
  /** CPUs the restored processes may use under the placement measured. */
  readonly processCpus: number;
}

function builtIn(spec: string): Workload {
  const parsed = parseSpec(spec, 'workload');
  const c = builtInWorkloads.find((w) => w.name === parsed.name);
  if (!c) throw new Error(`no built-in workload '${parsed.name}'`);
  const params = resolveParams(c.params, parsed.raw, `workload ${c.name}`);
  return c.create(params, canonicalSpec(c.name, params));
}

/** Precopies every page: the eager baseline, without depending on the strategies package. */
const precopyAll: Strategy = {
  plan(ctx) {
    for (const p of ctx.image.processes) ctx.precopy({ pid: p.pid, page: 0, count: p.totalPages });
  },
};

function requireNative() {
  const native = loadNative();
  if (!native.ok) throw new Error(`the linux backend is unavailable: ${native.reason}`);
  const probe = native.binding.probe();
  if (!probe.available) throw new Error('userfaultfd is not available here (see `restorelab doctor`)');
  return native;
}

/** One run of the runner against a reference handler (no session, no events kept). */
async function referenceRun(workload: Workload, mode: MonitorMode, placement: Placement): Promise<NativeMonitorStats> {
  const native = requireNative();
  const cpus = planCpus(placement, allowedCpus());
  const session = new RestoreSession(workload, [], new EventStore());
  const dir = makeRunDir();
  let run: NativeRun | undefined;
  try {
    writeRunFiles(dir, {
      image: workload.image,
      plan: session.plan,
      traces: workload.traces,
      windowFor: () => ({ forward: 0, backward: 0 }),
      flags: PlanFlag.NoVerify | PlanFlag.Priority,
      runnerCpuMask: cpus.runnerCpuMask,
    });
    run = new NativeRun({
      binding: native.binding,
      runnerPath: native.runnerPath,
      dir,
      t0: native.binding.now(),
      mode,
      onEvent: () => undefined,
      reactive: false,
      cpus,
    });
    run.startMonitor();
    run.spawnRunner();
    await run.wait();
    const stats = run.monitor.stats();
    await run.close();
    return stats;
  } finally {
    await run?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function backendRun(
  workload: Workload,
  strategy: Strategy | null,
  placement: Placement,
): Promise<{ stats: NativeMonitorStats; workloadNs: number; faults: number }> {
  const backend = new LinuxBackend({ noVerify: true, placement });
  const strategies = strategy ? [{ name: 'bench', spec: 'bench', instance: strategy }] : [];
  const out = await runRestore({ backend, workload, strategy: strategy ? 'bench' : 'demand-only', strategies, seed: 1, logPath: null });
  const stats = backend.lastStats;
  if (!stats) throw new Error('the backend kept no statistics');
  return { stats, workloadNs: out.result.metrics.workloadNs, faults: out.result.metrics.demandFaults };
}

const gbps = (pages: number, ns: number) => (ns > 0 ? (pages * 4096) / ns : 0);

/**
 * A built-in workload with its image written (and synced) once, so no run writes its pages file
 * while another one is measured: every run links to it.
 */
async function withImageOnDisk<T>(spec: string, fn: (w: Workload) => Promise<T>): Promise<T> {
  const generated = builtIn(spec);
  const dir = makeRunDir();
  try {
    writeImage(generated.image, dir);
    const image = readImage(dir, { verifyChecksum: false });
    try {
      return await fn({ ...generated, image });
    } finally {
      image.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The backend's overhead against a minimal C handler on the same `seq` workload (no compute gaps,
 * no page checks), in this process: ns per demand fault as the workload sees it, and the copy
 * bandwidth of an eager restore.
 */
export async function benchOverhead(opts: BenchOverheadOptions = {}): Promise<BenchOverheadResult> {
  const pages = opts.pages ?? 65536;
  const repeat = Math.max(1, opts.repeat ?? 5);
  const placement = opts.placement ?? DEFAULT_PLACEMENT;
  return withImageOnDisk(`seq:pages=${pages},gapNs=0,writeFraction=0`, (workload) => benchOn(workload, repeat, placement));
}

async function benchOn(workload: Workload, repeat: number, placement: Placement): Promise<BenchOverheadResult> {
  let refFault = Infinity;
  let backFault = Infinity;
  let refCopy = 0;
  let backCopy = 0;
  // interleaved, so a busy moment of the machine hits both sides, in alternating order; the
  // first round warms up (page allocation in a fresh VM, JIT) and is not counted
  for (let i = 0; i <= repeat; i++) {
    const counted = i > 0;
    const refFirst = i % 2 === 0;
    const fault = async (ref: boolean) => {
      if (ref) {
        const r = await referenceRun(workload, 'reference-fault', placement);
        if (counted && r.faults > 0) refFault = Math.min(refFault, (r.endT - r.goT) / r.faults);
      } else {
        const b = await backendRun(workload, null, placement);
        if (counted && b.faults > 0) backFault = Math.min(backFault, b.workloadNs / b.faults);
      }
    };
    const copy = async (ref: boolean) => {
      if (ref) {
        const r = await referenceRun(workload, 'reference-eager', placement);
        if (counted) refCopy = Math.max(refCopy, gbps(r.precopyPages, r.precopyNs));
      } else {
        const b = await backendRun(workload, precopyAll, placement);
        if (counted) backCopy = Math.max(backCopy, gbps(b.stats.precopyPages, b.stats.precopyNs));
      }
    };
    await fault(refFirst);
    await fault(!refFirst);
    await copy(refFirst);
    await copy(!refFirst);
  }
  return {
    workload: workload.spec,
    referenceNsPerFault: Math.round(refFault),
    backendNsPerFault: Math.round(backFault),
    faultRatio: backFault / refFault,
    referenceCopyGBps: refCopy,
    backendCopyGBps: backCopy,
    copyRatio: backCopy / refCopy,
  };
}

/** Every fault copies its page and up to `forward` lazy pages after it. */
function windowOf(forward: number): Strategy {
  return { plan: (ctx) => ctx.faultWindow({ forward, backward: 0 }) };
}

/** One logged restore: its demand faults (pages copied, latency) and its workload time. */
async function loggedRestore(
  workload: Workload,
  strategy: Strategy | null,
  placement: Placement,
): Promise<{ faults: FaultSample[]; workloadNs: number; demandFaults: number; decisions: number[] }> {
  const strategies = strategy ? [{ name: 'calibrate', spec: 'calibrate', instance: strategy }] : [];
  const out = await runRestore({ backend: new LinuxBackend({ noVerify: true, placement }), workload, strategy: strategy ? 'calibrate' : 'demand-only', strategies, seed: 1, logPath: null });
  const m = out.result.metrics;
  return { faults: faultSamples(out.store), workloadNs: m.workloadNs, demandFaults: m.demandFaults, decisions: decisionLatencies(out.store) };
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** CPUs in a mask (bit i: CPU i). */
function cpusOf(mask: number): number {
  let n = 0;
  for (let m = mask; m > 0; m = Math.floor(m / 2)) n += m % 2;
  return n;
}

/** The compute gaps of the replayed (restore-phase) accesses. */
function restoreGapNs(workload: Workload): number {
  let ns = 0;
  for (const t of workload.traces) for (let k = t.migrateAt; k < t.gapNs.length; k++) ns += t.gapNs[k];
  return ns;
}

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
 * The costs the simulator's cost model charges, measured here. A fault's cost is fitted on the
 * latencies the backend itself logs (monitor read to wake) on `seq` restores whose faults copy 1, 5
 * and 17 pages: fixed part and per page, as the simulator charges them; what the workload waits on
 * top of that (delivery, wake-ups) from the demand-only restore's workload time per fault; a first
 * access to a present page from the eager restore's workload time per page; the decision latency of
 * a reactive strategy from one that answers every fault. The copier's per-page cost
 * comes from an eager restore's precopy; the per-call, zero-page and madvise costs from the kernel
 * ioctls timed in this process.
 */
export async function measureCosts(opts: MeasureCostsOptions = {}): Promise<MeasuredCosts> {
  const native = requireNative();
  const k: KernelCosts = native.binding.measureKernelCosts();
  const pages = opts.pages ?? 2048;
  const rounds = Math.max(1, opts.rounds ?? 7);
  const placement = opts.placement ?? DEFAULT_PLACEMENT;
  // the generator's own gaps and writes, as in the workloads the simulator is compared on
  return withImageOnDisk(`seq:pages=${pages}`, async (workload) => {
    const gapNs = restoreGapNs(workload);
    // faults 100 us apart: the hand-off itself, not a backlog of an event loop that cannot keep up
    const sparse = builtIn(DECISION_WORKLOAD);
    await loggedRestore(workload, null, placement); // warm-up: page cache, JIT
    const fits: FaultCostFit[] = [];
    const wakes: number[] = [];
    const bulk: number[] = [];
    const touches: number[] = [];
    const decisions: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const samples: FaultSample[] = [];
      for (const w of CALIBRATION_WINDOWS) {
        const run = await loggedRestore(workload, w > 0 ? windowOf(w) : null, placement);
        samples.push(...run.faults);
        // every access of this seq faults: the workload is its gaps and the faults' round trips
        if (w === 0 && run.demandFaults > 0) wakes.push((run.workloadNs - gapNs) / run.demandFaults - mean(run.faults.map((f) => f.latencyNs)));
      }
      fits.push(fitFaultCost(samples));
      const eager = await backendRun(workload, precopyAll, placement);
      if (eager.stats.precopyPages > 0) bulk.push(eager.stats.precopyNs / eager.stats.precopyPages);
      // nothing faults: the workload is its gaps and one first access to each page
      touches.push((eager.workloadNs - gapNs) / pages);
      const reactive = await loggedRestore(sparse, nextPageOnFault, placement);
      if (reactive.decisions.length > 0) decisions.push(median(reactive.decisions));
    }
    // the median round: a busy spell of a shared machine spoils some rounds, not the result
    const fit = { fixedNs: median(fits.map((f) => f.fixedNs)), perPageNs: median(fits.map((f) => f.perPageNs)) };
    const perCallShare = k.copyCallNs / 512;
    return {
      faultOverheadNs: Math.max(0, Math.round(fit.fixedNs - k.copyCallNs)),
      faultWakeNs: Math.max(0, Math.round(median(wakes))),
      faultCopyPageNs: Math.round(fit.perPageNs),
      copyCallNs: Math.round(k.copyCallNs),
      copyPageNs: Math.round(bulk.length ? Math.max(0, median(bulk) - perCallShare) : k.copyPageNs),
      zeroPageNs: Math.round(k.zeroPageNs),
      madviseNs: Math.round(k.madviseNs),
      cowPageNs: Math.round(k.cowPageNs),
      touchPageNs: Math.max(0, Math.round(median(touches))),
      decisionLatencyNs: Math.round(median(decisions)),
      processCpus: cpusOf(planCpus(placement, allowedCpus()).runnerCpuMask) || (allowedCpus()?.length ?? 0),
    };
  });
}
