import * as fs from 'fs';
import * as path from 'path';

/**
 * The only file that loads the native addon (build/Release/restorelab_native.node, built by
 * scripts/build-native.js with the runner binary next to it). Everything else asks loadNative().
 */

export type MonitorMode = 'backend' | 'reference-fault' | 'reference-eager';

export interface NativeMonitorConfig {
  /** The run directory (plan.bin, pages.bin, trace-<i>.bin; the socket is created there). */
  readonly dir: string;
  /** CLOCK_MONOTONIC ns of the run start; event times are relative to it. */
  readonly t0: number;
  readonly mode?: MonitorMode;
  /** Records in the event ring (power of two). */
  readonly ringCapacity?: number;
  /** Least ns between two wake-ups of JS for ordinary events (default 250 us). */
  readonly notifyIntervalNs?: number;
  /** CPUs of the fault thread and of the copier (bit i: CPU i, CPUs 0..52); 0 or absent: not pinned. */
  readonly faultCpuMask?: number;
  readonly copierCpuMask?: number;
  /** The JS thread runs urgent and prefetch copies itself when it waits for events (waitEvents). */
  readonly inlineCopies?: boolean;
  /** The workload starts once JS has handled every event before it (registrations, precopy). */
  readonly awaitConsumer?: boolean;
  /**
   * CRIU's lazy-pages daemon: listen on this unix socket for `criu restore --lazy-pages` instead of
   * runners (the plan is still dir/plan.bin; there is no pages.bin).
   */
  readonly criuSocket?: string;
  /** With criuSocket: the guardian binary that holds the tasks' uffds and kills them if the daemon dies. */
  readonly guardianPath?: string;
  /** With criuSocket: the files the pages blob is laid out from, by sourceRuns. */
  readonly sourceFiles?: readonly string[];
  /** With criuSocket: (file index, byte offset in the file, byte offset in the blob, bytes) quadruples, page aligned. */
  readonly sourceRuns?: Float64Array;
  /** Copies read from this page server (restorelab serve) instead of dir/pages.bin. */
  readonly remote?: { readonly host: string; readonly port: number; readonly channels: number; readonly token?: string };
}

export interface NativeMonitorStats {
  readonly faults: number;
  readonly faultNsTotal: number;
  readonly spuriousFaults: number;
  readonly precopyPages: number;
  readonly precopyNs: number;
  /** Absolute CLOCK_MONOTONIC ns when GO was sent, and of the last process's trace end. */
  readonly goT: number;
  readonly endT: number;
  readonly ringOverflowed: number;
  readonly copierCommands: number;
  /** Times the pages file's mapped pages were dropped from the monitor (one per 64 MiB the copies read). */
  readonly sourceDrops: number;
  /** Requests the page server answered (0 without --source). */
  readonly remoteRequests: number;
  readonly faultThreadPolicy: FaultThreadPolicy;
  /** CRIU mode: tasks forked during the restore (UFFD_EVENT_FORK, in no event), their faults and their pages pushed. */
  readonly forkedTasks: number;
  readonly forkedFaults: number;
  readonly forkedPushed: number;
}

export interface NativeMonitor {
  /** Listens on dir/monitor.sock and starts the control, fault and copier threads. */
  start(onEvents: () => void): void;
  stop(): void;
  /** The event ring: records of RECORD_DOUBLES doubles, laid out as ring-layout.ts says. */
  ringBuffer(): ArrayBuffer;
  /** Releases records before `consumed`; returns the end of the readable records. */
  drain(consumed: number): number;
  /**
   * Blocks the JS thread until records past `consumed` are readable: spins (yielding the CPU) for
   * up to spinNs, then sleeps for up to blockNs. Returns whether there are records. First it runs
   * the urgent and prefetch copies queued since (with inlineCopies).
   */
  waitEvents(consumed: number, spinNs: number, blockNs: number): boolean;
  /** Emits CopyLanded (reactsTo, queuedSeq: see BackendPort.submitCopy) when it is queued. */
  submitCopy(proc: number, page: number, count: number, cause: number, priority: number, reactsTo: number, queuedSeq: number): void;
  submitMadvise(proc: number, vma: number, advice: number): void;
  /** Replaces a process's fault-time rules; `log`: FaultRulesSet goes into the ring (reactsTo in d). */
  setFaultRules(proc: number, stride: number, strideCount: number, offsets: Uint32Array | null, targets: Uint32Array | null, reactsTo: number, log: boolean): void;
  releaseRunners(): void;
  error(): string;
  stats(): NativeMonitorStats;
  osPid(proc: number): number;
  uffdFeatures(): number;
}

export interface ErrnoInfo {
  readonly ok: boolean;
  readonly errno: number;
  readonly code: string;
  readonly message: string;
}

export interface NativeProbe {
  readonly available: boolean;
  readonly via: 'syscall' | 'syscall-user-mode-only' | 'device' | 'none';
  readonly syscall: ErrnoInfo;
  readonly userModeOnly: ErrnoInfo;
  readonly device: ErrnoInfo;
  readonly api: ErrnoInfo;
  readonly features: number;
  readonly ioctls: number;
  readonly featureNames: readonly string[];
}

/** How the fault thread is scheduled: SCHED_FIFO, a raised nice, or as it was. */
export type FaultThreadPolicy = 'fifo' | 'nice' | 'default';

export interface FaultThreadProbe {
  readonly policy: FaultThreadPolicy;
  /** The SCHED_FIFO attempt (EPERM without root, CAP_SYS_NICE or an RLIMIT_RTPRIO). */
  readonly fifo: ErrnoInfo;
}

export interface KernelCosts {
  readonly copyCallNs: number;
  readonly copyPageNs: number;
  readonly zeroPageNs: number;
  readonly madviseNs: number;
  readonly cowPageNs: number;
  /** The copy engines' steps; null where this kernel's userfaultfd cannot (MINOR_SHMEM, MOVE). */
  readonly cacheFillPageNs: number | null;
  readonly continueCallNs: number | null;
  readonly continuePageNs: number | null;
  readonly stagePageNs: number | null;
  /** With the round trip to the restored process's mover thread. */
  readonly moveCallNs: number | null;
  readonly movePageNs: number | null;
}

export interface NativeBinding {
  readonly Monitor: new (config: NativeMonitorConfig) => NativeMonitor;
  now(): number;
  probe(): NativeProbe;
  probeFaultThread(): FaultThreadProbe;
  /** Pins the calling JS thread to a CPU mask (0: leaves it alone); returns the mask it had (0: unknown). */
  pinCurrentThread(mask: number): number;
  measureKernelCosts(): KernelCosts;
  /**
   * Writes generated page contents (core's fillPageContent) into fd: runs holds (byte offset, pid,
   * first page, count) quadruples.
   */
  writePageContent(fd: number, seed: number, runs: Float64Array): void;
  readonly formatVersion: number;
}

export type NativeLoad =
  | {
      readonly ok: true;
      readonly binding: NativeBinding;
      readonly addonPath: string;
      readonly runnerPath: string;
      /** The lazy-pages daemon's guardian (native/guardian). */
      readonly guardianPath: string;
      /** Put before the run directory on the runner's command line (the mock's script). */
      readonly runnerArgs?: readonly string[];
    }
  | { readonly ok: false; readonly reason: string; readonly addonPath: string; readonly runnerPath: string; readonly guardianPath: string };

/** The package root: src/ (tests) and dist/ (built) both sit one level below it. */
export const packageRoot = path.resolve(__dirname, '..');
export const buildDir = path.join(packageRoot, 'build', 'Release');
/** Written by scripts/build-native.js when it skipped the build (no Linux, no compiler). */
export const skipNoteFile = path.join(packageRoot, 'build', 'native-skipped.txt');

let cached: NativeLoad | undefined;

export function loadNative(): NativeLoad {
  if (cached) return cached;
  const addonPath = path.join(buildDir, 'restorelab_native.node');
  const runnerPath = path.join(buildDir, 'restorelab-runner');
  const guardianPath = path.join(buildDir, 'restorelab-guardian');
  const no = (reason: string): NativeLoad => (cached = { ok: false, reason, addonPath, runnerPath, guardianPath });
  if (process.platform !== 'linux') return no(`userfaultfd needs Linux (this is ${process.platform})`);
  if (!fs.existsSync(addonPath)) {
    let note = '';
    try {
      note = fs.readFileSync(skipNoteFile, 'utf8').trim();
    } catch {
      // no note: the build never ran
    }
    return no(
      `the native addon is not built (${note || 'missing ' + path.relative(process.cwd(), addonPath)}); ` +
        'build it with `npm run build:native -w @restorelab/backend-linux` (needs g++, make and python3)',
    );
  }
  if (!fs.existsSync(runnerPath)) return no(`the workload runner is not built (missing ${runnerPath}); rebuild the native addon`);
  if (!fs.existsSync(guardianPath)) return no(`the lazy-pages guardian is not built (missing ${guardianPath}); rebuild the native addon`);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = require(addonPath) as NativeBinding;
    return (cached = { ok: true, binding, addonPath, runnerPath, guardianPath });
  } catch (e) {
    return no(`the native addon did not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}
