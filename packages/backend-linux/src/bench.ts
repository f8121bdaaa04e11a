import { builtInWorkloads, CopyEngine, DefaultWorkloadRegistry, EventStore, Link, PagesCache, pagesCacheFromEnv, pagesGBps, readImage, RestoreSession, runRestore, Strategy, Workload, writeImage } from '@restorelab/core';
import * as fs from 'fs';
import { LinuxBackend, makeRunDir } from './linux-backend';
import { loadNative, MonitorMode, NativeMonitorStats } from './native-binding';
import { NativeRun } from './native-run';
import { nativePagesWriter } from './generated-pages';
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


const builtInRegistry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });

/** A built-in workload from its spec, e.g. `seq:pages=4096`. */
export function builtIn(spec: string): Workload {
  return builtInRegistry.create(spec);
}

/** Precopies every page: the eager baseline, without depending on the strategies package. */
export const precopyAll: Strategy = {
  plan(ctx) {
    for (const p of ctx.image.processes) ctx.precopy({ pid: p.pid, page: 0, count: p.totalPages });
  },
};

export function requireNative() {
  const native = loadNative();
  if (!native.ok) throw new Error(`the linux backend is unavailable: ${native.reason}`);
  const probe = native.binding.probe();
  if (!probe.available) throw new Error('userfaultfd is not available here (see `restorelab doctor`)');
  return native;
}

/** One run of the runner against a reference handler (no session, no events kept). */
export async function referenceRun(
  workload: Workload,
  mode: MonitorMode,
  placement: Placement,
  cache?: PagesCache | null,
): Promise<NativeMonitorStats> {
  const native = requireNative();
  const writeGenerated = nativePagesWriter(native.binding);
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
    }, cache === undefined ? pagesCacheFromEnv(process.env, writeGenerated) : cache, writeGenerated);
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

export async function backendRun(
  workload: Workload,
  strategy: Strategy | null,
  placement: Placement,
  link?: Link,
  copyEngine?: CopyEngine,
): Promise<{ stats: NativeMonitorStats; workloadNs: number; faults: number }> {
  const backend = new LinuxBackend({ noVerify: true, placement });
  const strategies = strategy ? [{ name: 'bench', spec: 'bench', instance: strategy }] : [];
  const out = await runRestore({ backend, workload, strategy: strategy ? 'bench' : 'demand-only', strategies, seed: 1, logPath: null, link, copyEngine });
  const stats = backend.lastStats;
  if (!stats) throw new Error('the backend kept no statistics');
  return { stats, workloadNs: out.result.metrics.workloadNs, faults: out.result.metrics.demandFaults };
}


/** A built-in workload whose image is on disk, written once; close() removes it. */
export interface WorkloadOnDisk {
  readonly workload: Workload;
  close(): void;
}

/**
 * Writes (and syncs) a built-in workload's image once, so no run writes its pages file while
 * another one is measured: every run links to it.
 */
export function imageOnDisk(spec: string): WorkloadOnDisk {
  const generated = builtIn(spec);
  const dir = makeRunDir();
  try {
    writeImage(generated.image, dir);
    const image = readImage(dir, { verifyChecksum: false });
    return {
      workload: { ...generated, image },
      close: () => {
        image.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function withImageOnDisk<T>(spec: string, fn: (w: Workload) => Promise<T>): Promise<T> {
  const disk = imageOnDisk(spec);
  try {
    return await fn(disk.workload);
  } finally {
    disk.close();
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
        if (counted) refCopy = Math.max(refCopy, pagesGBps(r.precopyPages, r.precopyNs));
      } else {
        const b = await backendRun(workload, precopyAll, placement);
        if (counted) backCopy = Math.max(backCopy, pagesGBps(b.stats.precopyPages, b.stats.precopyNs));
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

