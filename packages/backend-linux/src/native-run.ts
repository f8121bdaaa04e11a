import { ChildProcess, spawn } from 'child_process';
import { MonitorMode, NativeBinding, NativeMonitor, NativeMonitorConfig } from './native-binding';
import { collectGarbage } from './collect-garbage';
import { pauseOptimizingCompiler } from './optimizing-compiler';
import { CpuPlan } from './placement';
import { RECORD_DOUBLES, RECORD_INT32S, RingSlot } from './ring-layout';

// the ring's layout as constants of this module: no property lookups per record in the drain loop
const { F64T, F64A, I32Kind: I32_KIND, I32Pid: I32_PID, I32A: I32_A, Small: SMALL, KindMask: KIND_MASK } = RingSlot;

/** Kinds >= 100 in the event ring are the backend's own (native/common/protocol.h RL_INTERNAL_*). */
export const InternalKind = { AllRegistered: 100, AllDone: 101, Failed: 102, ProcessDone: 103 } as const;

export type EventCallback = (kind: number, t: number, pid: number, a: number, b: number, c: number, d: number) => void;

export interface NativeRunConfig {
  readonly binding: NativeBinding;
  readonly runnerPath: string;
  readonly runnerArgs?: readonly string[];
  readonly dir: string;
  /** CLOCK_MONOTONIC ns of the run start. */
  readonly t0: number;
  readonly mode: MonitorMode;
  /** Every public event, in ring order, with its native time relative to t0. */
  readonly onEvent: EventCallback;
  /** Runs one drain's onEvent calls as a batch (BackendSession.batch). */
  readonly batch?: <R>(emits: () => R) => R;
  readonly onProcessDone?: (pid: number) => void;
  readonly signal?: AbortSignal;
  /** Strategies react to events while the workload runs: hand them over promptly (default true). */
  readonly reactive?: boolean;
  /** Where the fault thread and the copier run (the runner's CPUs are in its plan). */
  readonly cpus?: CpuPlan;
  /** The monitor as CRIU's lazy-pages daemon (NativeMonitorConfig.criuSocket and its companions). */
  readonly criu?: Pick<NativeMonitorConfig, 'criuSocket' | 'guardianPath' | 'sourceFiles' | 'sourceRuns'>;
  /** Copies read from a page server instead of the run directory's pages file. */
  readonly remote?: NativeMonitorConfig['remote'];
}

/** How long a runner gets to exit after it was told to. */
const EXIT_GRACE_MS = 5000;
/** After the runner died, how long to wait for the monitor to learn why (its FAIL message). */
const FAIL_REASON_WAIT_MS = 200;
/**
 * How promptly JS hears of events. With reactive strategies listening, the JS thread waits for
 * the ring itself (EventRing::waitFor: it spins, yielding its CPU to any runnable thread, then
 * sleeps until a record comes) in slices of HOT.sliceMs, and gives the event loop a turn between
 * slices (timers, the runner's exit, signals). An event reaches the strategies about a
 * microsecond after the native side published it, and the fault loop never pays for a wake-up
 * while events keep coming. With none listening (nothing can act on an event before the end)
 * events are collected in large batches, woken from the native side at most every
 * notifyIntervalNs, so the event loop takes as little CPU as possible.
 */
const HOT = { sliceMs: 1, spinNs: 200_000, blockNs: 500_000 };
const BATCHED = { notifyIntervalNs: 20_000_000, drainEveryMs: 20 };

/**
 * One monitor and one runner process tree in a run directory. The monitor's threads push events
 * into the ring; this drains it on the JS thread whenever the native side signals (batched), so
 * reactive strategies see faults while the workload runs.
 */
export class NativeRun {
  readonly monitor: NativeMonitor;
  private view: Float64Array | undefined;
  private words: Int32Array | undefined;
  private mask = 0;
  private consumed = 0;
  private draining = false;
  private runner: ChildProcess | undefined;
  private runnerExit: Promise<void> | undefined;
  private runnerAlive = false;
  private settled = false;
  private failure: Error | undefined;
  private resolveDone!: () => void;
  private rejectDone!: (e: Error) => void;
  private readonly done: Promise<void>;
  private readonly onAbort = () => this.fail(abortError());
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private hot: NodeJS.Immediate | undefined;
  private readonly reactive: boolean;
  private resumeCompiler: (() => void) | undefined;
  private handled = 0;
  private handlingMs = 0;

  constructor(private readonly cfg: NativeRunConfig) {
    this.reactive = cfg.reactive !== false;
    this.monitor = new cfg.binding.Monitor({
      dir: cfg.dir,
      t0: cfg.t0,
      mode: cfg.mode,
      // reactive runs drain from the hot loop: the native wake-up is only the slow path's
      notifyIntervalNs: BATCHED.notifyIntervalNs,
      inlineCopies: this.reactive,
      // strategies see the registrations before the first fault, as in the simulator
      awaitConsumer: this.reactive,
      faultCpuMask: cfg.cpus?.faultCpuMask ?? 0,
      copierCpuMask: cfg.cpus?.copierCpuMask ?? 0,
      ...cfg.criu,
      ...(cfg.remote ? { remote: { host: cfg.remote.host, port: cfg.remote.port, channels: cfg.remote.channels, ...(cfg.remote.token ? { token: cfg.remote.token } : {}) } } : {}),
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined);
  }

  /** Listens on the run directory's socket; commands may be submitted from now on. */
  startMonitor(): void {
    // reactive: the hot loop drains; a wake-up from the native side has nothing more to do
    this.monitor.start(() => (this.reactive ? undefined : this.pump()));
    const ring = this.monitor.ringBuffer();
    this.view = new Float64Array(ring);
    this.words = new Int32Array(ring);
    this.mask = this.view.length / RECORD_DOUBLES - 1;
    if (this.reactive) {
      collectGarbage();
      this.resumeCompiler = pauseOptimizingCompiler();
      this.hot = setImmediate(this.hotSlice);
    } else this.timer = setInterval(() => this.pump(), BATCHED.drainEveryMs);
    this.cfg.signal?.addEventListener('abort', this.onAbort);
    if (this.cfg.signal?.aborted) this.onAbort();
  }

  /** Starts the restored process tree (its own process group, so teardown reaches every process). */
  spawnRunner(): void {
    const child = spawn(this.cfg.runnerPath, [...(this.cfg.runnerArgs ?? []), this.cfg.dir], { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
    this.runner = child;
    this.runnerAlive = true;
    this.runnerExit = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.runnerAlive = false;
        resolve();
        if (!this.settled) this.runnerDied(code, signal);
      });
      child.once('error', (e) => {
        this.runnerAlive = false;
        resolve();
        this.fail(new Error(`cannot start the workload runner: ${e.message}`));
      });
    });
  }

  get runnerPid(): number | undefined {
    return this.runner?.pid;
  }

  /** Resolves when every process reported its end; rejects when the run cannot complete. */
  wait(): Promise<void> {
    return this.done;
  }

  /**
   * Drains the ring: every record is handed over in order as one batch of emits, the backend's own
   * ones acted upon after it. `once`: only what was readable on entry, so that the hot loop serves
   * the commands it caused first.
   */
  pump(once = false): void {
    if (this.draining || !this.view) return;
    this.draining = true;
    this.drainOnce = once;
    const started = performance.now();
    const from = this.consumed;
    try {
      if (this.cfg.batch) this.cfg.batch(this.drainRing);
      else this.drainRing();
      // after the batch: settling the run is no strategy's doing (its zone is left behind)
      const own = this.ownRecords;
      for (let i = 0; i < own.length; i += 2) this.internal(own[i], own[i + 1]);
      own.length = 0;
    } catch (e) {
      // a bug on the JS side must end the run, not the process (this runs from native callbacks)
      this.fail(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.draining = false;
      this.handled += this.consumed - from;
      this.handlingMs += performance.now() - started;
    }
  }

  private drainOnce = false;
  /** The backend's own records (kind, pid) of the drain, handled after it. */
  private readonly ownRecords: number[] = [];

  private readonly drainRing = (): void => {
    const f = this.view!;
    const w = this.words!;
    const onEvent = this.cfg.onEvent;
    let head = this.monitor.drain(this.consumed);
    while (this.consumed < head) {
      for (; this.consumed < head; this.consumed++) {
        const slot = this.consumed & this.mask;
        const o = slot * RECORD_DOUBLES;
        const i = slot * RECORD_INT32S;
        const word = w[i + I32_KIND];
        const kind = word & KIND_MASK;
        if (kind >= 100) this.ownRecords.push(kind, w[i + I32_PID]);
        else if ((word & SMALL) !== 0) onEvent(kind, f[o + F64T], w[i + I32_PID], w[i + I32_A], w[i + I32_A + 1], w[i + I32_A + 2], w[i + I32_A + 3]);
        else onEvent(kind, f[o + F64T], w[i + I32_PID], f[o + F64A], f[o + F64A + 1], f[o + F64A + 2], f[o + F64A + 3]);
      }
      if (this.drainOnce) break;
      head = this.monitor.drain(this.consumed);
    }
  };

  /** What handing an event to the session (and the strategies) cost the JS thread on average, ns. */
  get eventHandlingNs(): number {
    return this.handled > 0 ? (this.handlingMs * 1e6) / this.handled : 0;
  }

  /** One slice of the reactive drain: wait for the ring and drain it, then let the event loop run. */
  private readonly hotSlice = (): void => {
    this.hot = undefined;
    if (this.closed || this.settled) return;
    const until = performance.now() + HOT.sliceMs;
    do {
      if (this.monitor.waitEvents(this.consumed, HOT.spinNs, HOT.blockNs)) this.pump(true);
    } while (!this.settled && !this.closed && performance.now() < until);
    if (!this.settled && !this.closed) this.hot = setImmediate(this.hotSlice);
  };

  private internal(kind: number, pid: number): void {
    if (kind === InternalKind.AllDone) this.settle();
    else if (kind === InternalKind.Failed) this.fail(new Error(this.monitor.error() || 'the monitor failed'));
    else if (kind === InternalKind.ProcessDone) this.cfg.onProcessDone?.(pid);
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveDone();
  }

  fail(e: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.failure = e;
    this.rejectDone(e);
  }

  private runnerDied(code: number | null, signal: NodeJS.Signals | null): void {
    const deadline = Date.now() + FAIL_REASON_WAIT_MS;
    const check = () => {
      this.pump();
      if (this.settled) return;
      const why = this.monitor.error();
      if (why || Date.now() >= deadline) {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        this.fail(new Error(why || `the workload runner ${how} before the end of the restore`));
      } else setTimeout(check, 10);
    };
    check();
  }

  /**
   * Ends the run: after success the runners are told to exit and get a grace period; otherwise
   * (or after it) the whole process group is killed. Then the monitor's threads and fds go.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cfg.signal?.removeEventListener('abort', this.onAbort);
    try {
      if (this.runner && this.runnerAlive) {
        if (!this.failure && this.settled) {
          this.monitor.releaseRunners();
          await Promise.race([this.runnerExit, delay(EXIT_GRACE_MS)]);
        }
        if (this.runnerAlive) {
          killGroup(this.runner);
          await this.runnerExit;
        }
      }
    } finally {
      if (this.timer) clearInterval(this.timer);
      if (this.hot) clearImmediate(this.hot);
      this.monitor.stop();
      this.pump();
      this.resumeCompiler?.();
    }
  }

  get exitCode(): number | null {
    return this.runner?.exitCode ?? null;
  }
}

/** Like the simulator's: callers tell an interruption from a failure by the name. */
function abortError(): Error {
  const e = new Error('restore interrupted');
  e.name = 'AbortError';
  return e;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
  });
}
