import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  BackendAvailability,
  BackendFacts,
  BackendRunOptions,
  PAGE_SIZE,
  PagesCache,
  pagesCacheFromEnv,
  RestoreBackend,
  BackendSession,
  checkFreeDisk,
  DEFAULT_COPY_ENGINE,
  hasHugetlb,
  UsageError,
  WorkloadSize,
} from '@restorelab/core';
import { describeHost, nativeAvailability, unavailableReason } from './doctor';
import { loadNative, NativeLoad, NativeMonitorStats } from './native-binding';
import { NativeRun } from './native-run';
import { nativePagesWriter } from './generated-pages';
import { allowedCpus, CpuPlan, DEFAULT_PLACEMENT, Placement, planCpus } from './placement';
import { NativePort } from './native-port';
import { ENGINE_PLAN, HUGETLB_UFFD_FEATURES, PlanFlag, readProgress, RUNNER_UFFD_FEATURES, writeRunFiles } from './run-files';
import { checkHugetlbPool } from './hugetlb-pool';
import { PageSourceOptions } from './page-server/page-source';
import { PrecopySource } from './precopy-source';
import { prepareReactiveRestore } from './prepare-reactive-restore';
import { RunningPageServer, startPageServer } from './page-server/page-server';

/** How often onProgress is called while the workload runs. */
const PROGRESS_EVERY_MS = 200;

export interface LinuxBackendOptions {
  /** Skip the byte-for-byte check of pages (benchmarks only: the run cannot be verified then). */
  readonly noVerify?: boolean;
  /** Where run directories are made (default: the OS temp dir). */
  readonly tmpDir?: string;
  /**
   * Tests: after its trace the runner moves, discards and unmaps memory (mremap, MADV_DONTNEED,
   * munmap) so the non-cooperative userfaultfd events reach the monitor.
   */
  readonly exerciseEvents?: boolean;
  /** Told the runner's pid and the run directory once the runner is started (diagnostics, tests). */
  readonly onRunnerStarted?: (pid: number, dir: string) => void;
  /** Which CPUs the fault thread, the copier and the restored processes use (default shared). */
  readonly placement?: Placement;
  /**
   * Where the pages of generated images are kept between runs (default: as the environment says,
   * pagesCacheFromEnv(); null: written into each run directory).
   */
  readonly pagesCache?: PagesCache | null;
  /** Copies read pages from this page server (restorelab serve) instead of the local pages file. */
  readonly source?: PageSourceOptions | null;
  /** The native side (default: the addon, loadNative()); loadMockNative() runs the JS side without a kernel. */
  readonly native?: () => NativeLoad;
}

/** A fresh run directory; the socket path inside must fit sun_path (108 bytes). */
export function makeRunDir(tmpDir = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(tmpDir, 'restorelab-'));
  fs.chmodSync(dir, 0o700);
  return dir;
}

/**
 * The real thing: the runner restores the image's process tree on this machine's userfaultfd,
 * the native monitor serves its faults and copies, the session hears every fact.
 */
export class LinuxBackend implements RestoreBackend {
  readonly name = 'linux';
  readonly description = 'real userfaultfd: native page server and copier, C workload runner, byte-for-byte verification';
  /** The native monitor's counters of the last run (benchmarks read them). */
  lastStats: NativeMonitorStats | undefined;
  /** The JS thread's mean cost of handling one event of the last run, ns (calibrate reads it). */
  lastEventHandlingNs = 0;

  constructor(private readonly options: LinuxBackendOptions = {}) {}

  private native(): NativeLoad {
    return (this.options.native ?? loadNative)();
  }

  async availability(): Promise<BackendAvailability> {
    return nativeAvailability(this.native());
  }

  get placement(): Placement {
    return this.options.placement ?? DEFAULT_PLACEMENT;
  }

  /** The CPU masks of this backend's placement on this machine, now. */
  cpuPlan(): CpuPlan {
    return planCpus(this.placement, allowedCpus());
  }

  /** A generated image's pages are written to the pages cache, or else into the run directory. */
  checkFits(size: WorkloadSize, what: string): void {
    const cache = this.options.pagesCache === undefined ? pagesCacheFromEnv(process.env) : this.options.pagesCache;
    const pagesOf = `the pages of ${what}`;
    if (cache) cache.checkRoomFor(size.contentBytes, size.pages * PAGE_SIZE, pagesOf);
    else checkFreeDisk(this.options.tmpDir ?? os.tmpdir(), size.contentBytes, pagesOf);
  }

  describe(): Readonly<Record<string, unknown>> {
    const s = this.options.source;
    const source = s ? { source: `tcp://${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}, ${s.channels} channel${s.channels === 1 ? '' : 's'}` } : {};
    return { ...describeHost(), placement: this.cpuPlan().description, ...source };
  }

  async run(session: BackendSession, options: BackendRunOptions): Promise<void> {
    const native = this.native();
    if (!native.ok) throw new Error(`the linux backend is unavailable: ${native.reason}`);
    const probe = native.binding.probe();
    if (!probe.available) throw new Error(`the linux backend is unavailable: ${unavailableReason(probe)}`);
    const b = native.binding;
    const image = session.image;
    const facts = new BackendFacts(session);
    const link = options.link;
    if (link && this.options.source)
      throw new UsageError('--link shapes a page server the run starts on loopback; with --source the server you started shapes the link (serve --latency-us --bandwidth)');
    checkHugetlbPool(image, `image ${image.name}`);
    const rounds = session.plan.precopyRounds !== null;
    if (rounds && this.options.source) throw new UsageError('pre-copy rounds send the pages of a local source: drop --source');
    const dir = makeRunDir(this.options.tmpDir);
    const cpus = this.cpuPlan();
    let run: NativeRun | undefined;
    let server: RunningPageServer | undefined;
    let precopy: PrecopySource | undefined;
    let eventLoopMask = 0;
    try {
      const writeGenerated = nativePagesWriter(b);
      const cache = this.options.pagesCache === undefined ? pagesCacheFromEnv(process.env, writeGenerated) : this.options.pagesCache;
      if (link) server = await startPageServer({ image, host: '127.0.0.1', port: 0, latencyUs: link.latencyUs, bandwidth: link.bandwidth, sharedBandwidth: link.sharedBandwidth, pagesCache: cache });
      const remote = server ? { host: server.host, port: server.port, channels: link!.channels } : (this.options.source ?? undefined);
      const engine = ENGINE_PLAN[options.copyEngine ?? DEFAULT_COPY_ENGINE];
      const input = {
        runnerCpuMask: cpus.runnerCpuMask,
        image,
        plan: session.plan,
        traces: session.workload.traces,
        windowFor: (pid: number, vma: number) => session.windowFor(pid, vma),
        flags: PlanFlag.Priority | (this.options.noVerify ? PlanFlag.NoVerify : 0) | (this.options.exerciseEvents ? PlanFlag.ExerciseEvents : 0) | engine.flag | (rounds ? PlanFlag.PrecopyRounds : 0),
        uffdFeatures: RUNNER_UFFD_FEATURES | engine.uffdFeature | (hasHugetlb(image) ? HUGETLB_UFFD_FEATURES : 0),
      };
      const profile = options.profile;
      if (profile) profile.time('run files', () => writeRunFiles(dir, input, cache, writeGenerated), (source) => `pages: ${source}`);
      else writeRunFiles(dir, input, cache, writeGenerated);
      // the live source is ready before the restore's clock starts (its set-up is the source's, not
      // the restore's), and before the event loop is pinned: its threads must not inherit that one CPU
      if (rounds) {
        precopy = new PrecopySource({ runnerPath: native.runnerPath, runnerArgs: native.runnerArgs, dir, session, link, onFail: (e) => run?.fail(e) });
        if (profile) await profile.timeAsync('pre-copy source set-up', () => precopy!.listening());
        else await precopy.listening();
      }
      if (session.promptEvents) prepareReactiveRestore(session);
      const t0 = b.now();
      const now = () => b.now() - t0;
      const total = image.processes.length;
      const accesses = session.workload.traces.reduce((n, t) => n + t.page.length - Math.min(t.migrateAt, t.page.length), 0);
      const progress = () => options.onProgress?.(accesses > 0 ? Math.min(1, readProgress(dir, total) / accesses) : 1);
      run = new NativeRun({
        binding: b,
        runnerPath: native.runnerPath,
        runnerArgs: native.runnerArgs,
        dir,
        t0,
        mode: 'backend',
        onEvent: (kind, t, pid, a, bb, c, d) => session.emit(kind, t, pid, a, bb, c, d),
        batch: (emits) => session.batch(emits),
        onProcessDone: progress,
        signal: options.signal,
        // only strategies with reactive pipelines can act on an event before the run ends
        reactive: session.promptEvents,
        cpus,
        remote,
      });
      const port = new NativePort(run, image, now);
      try {
        run.startMonitor();
      } catch (e) {
        // an address, a token or an image the server does not have: the user's to fix
        if (this.options.source && !server && e instanceof Error && e.message.startsWith('page server')) throw new UsageError(e.message);
        throw e;
      }
      port.applyPlanRules(session.plan);
      // only during the run: the event loop keeps off the restored processes' CPU
      eventLoopMask = b.pinCurrentThread(cpus.eventLoopCpuMask);
      const totalPages = image.processes.reduce((n, p) => n + p.totalPages, 0);
      facts.restoreStarted(0, session.initialLazyPages, total, totalPages);
      session.start(port);
      run.spawnRunner();
      if (run.runnerPid !== undefined) this.options.onRunnerStarted?.(run.runnerPid, dir);
      const progressTimer = options.onProgress ? setInterval(progress, PROGRESS_EVERY_MS) : undefined;
      try {
        await run.wait();
      } finally {
        if (progressTimer) clearInterval(progressTimer);
      }
      this.lastStats = run.monitor.stats();
      this.lastEventHandlingNs = run.eventHandlingNs;
      await run.close();
      facts.restoreEnded(now());
    } finally {
      if (cpus.eventLoopCpuMask !== 0 && eventLoopMask !== 0) b.pinCurrentThread(eventLoopMask);
      try {
        await precopy?.close();
        await run?.close();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        await server?.stop();
      }
    }
  }
}
