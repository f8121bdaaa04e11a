import {
  builtInWorkloads,
  readImage,
  writeImage,
  canonicalSpec,
  EventKind,
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
import { PlanFlag, writeRunFiles } from './run-files';

export interface BenchOverheadOptions {
  /** Pages of the seq workload (default 65536). */
  readonly pages?: number;
  /** Measured runs of each kind after one warm-up round; the best (fastest) is kept (default 5). */
  readonly repeat?: number;
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
  /** A demand fault without its copy: round trip seen by the workload minus one one-page copy. */
  readonly faultOverheadNs: number;
  readonly copyCallNs: number;
  readonly copyPageNs: number;
  readonly zeroPageNs: number;
  readonly madviseNs: number;
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
async function referenceRun(workload: Workload, mode: MonitorMode): Promise<NativeMonitorStats> {
  const native = requireNative();
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
    });
    run = new NativeRun({
      binding: native.binding,
      runnerPath: native.runnerPath,
      dir,
      t0: native.binding.now(),
      mode,
      onEvent: () => undefined,
      reactive: false,
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

async function backendRun(workload: Workload, strategy: Strategy | null): Promise<{ stats: NativeMonitorStats; workloadNs: number; faults: number }> {
  const backend = new LinuxBackend({ noVerify: true });
  const strategies = strategy ? [{ name: 'bench', spec: 'bench', instance: strategy }] : [];
  const out = await runRestore({ backend, workload, strategy: strategy ? 'bench' : 'demand-only', strategies, seed: 1, logPath: null });
  const stats = backend.lastStats;
  if (!stats) throw new Error('the backend kept no statistics');
  return { stats, workloadNs: out.result.metrics.workloadNs, faults: out.result.metrics.demandFaults };
}

const gbps = (pages: number, ns: number) => (ns > 0 ? (pages * 4096) / ns : 0);

/**
 * The seq workload with its image written (and synced) once, so no run writes its pages file
 * while another one is measured: every run links to it.
 */
async function withSeqOnDisk<T>(pages: number, fn: (w: Workload) => Promise<T>): Promise<T> {
  const generated = builtIn(`seq:pages=${pages},gapNs=0,writeFraction=0`);
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
  return withSeqOnDisk(pages, (workload) => benchOn(workload, repeat));
}

async function benchOn(workload: Workload, repeat: number): Promise<BenchOverheadResult> {
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
        const r = await referenceRun(workload, 'reference-fault');
        if (counted && r.faults > 0) refFault = Math.min(refFault, (r.endT - r.goT) / r.faults);
      } else {
        const b = await backendRun(workload, null);
        if (counted && b.faults > 0) backFault = Math.min(backFault, b.workloadNs / b.faults);
      }
    };
    const copy = async (ref: boolean) => {
      if (ref) {
        const r = await referenceRun(workload, 'reference-eager');
        if (counted) refCopy = Math.max(refCopy, gbps(r.precopyPages, r.precopyNs));
      } else {
        const b = await backendRun(workload, precopyAll);
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

/**
 * Mean demand-fault latency as the backend logs it (kernel message read to wake), the quantity the
 * simulator's stallNs models, on a demand-only restore.
 */
async function meanFaultLatency(workload: Workload): Promise<number> {
  const out = await runRestore({ backend: new LinuxBackend(), workload, strategy: 'demand-only', strategies: [], seed: 1, logPath: null });
  const { store } = out;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < store.length; i++) {
    if (store.kind[i] !== EventKind.FaultResolved) continue;
    sum += store.b[i];
    n++;
  }
  if (n === 0) throw new Error('the calibration restore raised no faults');
  return sum / n;
}

/**
 * The kernel costs the simulator's cost model charges, measured here: UFFDIO_COPY per call and per
 * page, UFFDIO_ZEROPAGE, madvise (in this process, on a private registered region) and the fault
 * round trip as the backend logs it on a demand-only `seq` restore (minus its one-page copy).
 */
export async function measureCosts(opts: { pages?: number } = {}): Promise<MeasuredCosts> {
  const native = requireNative();
  const k: KernelCosts = native.binding.measureKernelCosts();
  const pages = opts.pages ?? 16384;
  const perFault = await withSeqOnDisk(pages, async (workload) => {
    let best = Infinity;
    for (let i = 0; i < 4; i++) {
      const mean = await meanFaultLatency(workload);
      if (i > 0) best = Math.min(best, mean);
    }
    return best;
  });
  return {
    faultOverheadNs: Math.max(0, Math.round(perFault - k.copyCallNs - k.copyPageNs)),
    copyCallNs: Math.round(k.copyCallNs),
    copyPageNs: Math.round(k.copyPageNs),
    zeroPageNs: Math.round(k.zeroPageNs),
    madviseNs: Math.round(k.madviseNs),
  };
}
