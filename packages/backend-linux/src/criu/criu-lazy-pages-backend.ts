import * as fs from 'fs';
import * as path from 'path';
import { BackendAvailability, BackendFacts, BackendRunOptions, BackendSession, CriuDumpImage, PAGE_SIZE, RestoreBackend, UsageError } from '@restorelab/core';
import { describeHost, nativeAvailability } from '../doctor';
import { makeRunDir } from '../linux-backend';
import { loadNative, NativeLoad, NativeMonitorStats } from '../native-binding';
import { NativePort } from '../native-port';
import { NativeRun } from '../native-run';
import { allowedCpus, DEFAULT_PLACEMENT, Placement, planCpus } from '../placement';
import { encodePlan, PLAN_FILE } from '../run-files';
import { prepareReactiveRestore } from '../prepare-reactive-restore';

/** Where `criu restore --lazy-pages` looks for its daemon, in the work directory (CRIU's criu/uffd.c). */
export const CRIU_LAZY_SOCKET = 'lazy-pages.socket';

export interface CriuLazyPagesOptions {
  /** Where lazy-pages.socket is made: criu's -W (default: its -D, the images directory). */
  readonly workDir: string;
  /** Where the run directory (the plan) is made (default: the OS temp dir). */
  readonly tmpDir?: string;
  readonly placement?: Placement;
  /** Told the socket's path once the daemon listens (the CLI prints it; tests start criu restore then). */
  readonly onListening?: (socketPath: string) => void;
  readonly native?: () => NativeLoad;
}

/** What a strategy's plan asks that only our own runner can do: CRIU maps and fills the memory itself. */
function refuseRunnerSteps(session: BackendSession): void {
  const p = session.plan;
  const steps = [
    [p.adviseBeforeFill.length, 'THP advice before the pages are filled'],
    [p.prefill.length, 'prefilled pages'],
    [p.adviseAfterRegister.length, 'THP advice after registration'],
  ] as const;
  const asked = steps.filter(([n]) => n > 0).map(([, what]) => what);
  if (asked.length > 0)
    throw new UsageError(
      `the strategies' plan asks for ${asked.join(' and ')}, which a CRIU restore cannot take (criu restore maps and fills the tasks' memory itself); ` +
        'try them on the dump in our runner with --workload criu:DIR',
    );
}

/**
 * restorelab as CRIU's lazy-pages daemon: the native monitor listens where `criu lazy-pages`
 * would, takes each restored task's userfaultfd from `criu restore --lazy-pages`, and serves its
 * faults and the strategies' copies from the dump's pages files (mapped, never copied), while a
 * guardian process holds every uffd and kills the tasks if this daemon dies before they have their
 * pages. Each task ends when its lazy pages are all present, or when it exits.
 */
export class CriuLazyPagesBackend implements RestoreBackend {
  readonly name = 'criu-lazy-pages';
  readonly description = "CRIU's lazy-pages daemon: serves `criu restore --lazy-pages` with the native fault loop and copier";
  lastStats: NativeMonitorStats | undefined;

  constructor(private readonly options: CriuLazyPagesOptions) {}

  private native(): NativeLoad {
    return (this.options.native ?? loadNative)();
  }

  async availability(): Promise<BackendAvailability> {
    return nativeAvailability(this.native());
  }

  describe(): Readonly<Record<string, unknown>> {
    return { ...describeHost(), placement: planCpus(this.options.placement ?? DEFAULT_PLACEMENT, allowedCpus()).description, restoredBy: 'criu restore --lazy-pages' };
  }

  get socketPath(): string {
    return path.join(path.resolve(this.options.workDir), CRIU_LAZY_SOCKET);
  }

  async run(session: BackendSession, options: BackendRunOptions): Promise<void> {
    const image = session.image;
    if (!(image instanceof CriuDumpImage)) throw new Error('the criu-lazy-pages backend serves the images of a criu dump (readCriuDump)');
    refuseRunnerSteps(session);
    if (options.copyEngine !== undefined && options.copyEngine !== 'copy')
      throw new UsageError(`copy engine ${options.copyEngine} needs the restorelab runner's mappings: CRIU maps the restored memory, its daemon places pages with UFFDIO_COPY`);
    const native = this.native();
    if (!native.ok) throw new Error(`criu-lazy-pages is unavailable: ${native.reason}`);
    const b = native.binding;
    const facts = new BackendFacts(session);
    const dir = makeRunDir(this.options.tmpDir);
    const cpus = planCpus(this.options.placement ?? DEFAULT_PLACEMENT, allowedCpus());
    let run: NativeRun | undefined;
    let port: NativePort;
    try {
      fs.writeFileSync(
        path.join(dir, PLAN_FILE),
        encodePlan({ image, plan: session.plan, traces: session.workload.traces, windowFor: (pid, vma) => session.windowFor(pid, vma) }),
        { mode: 0o600 },
      );
      const files: string[] = [];
      const runs: number[] = [];
      for (const p of image.processes) {
        const file = files.push(image.source(p.pid).pagesFile) - 1;
        for (const r of image.pageRuns(p.pid)) runs.push(file, r.fileOffset, p.blobOffset + r.page * PAGE_SIZE, r.count * PAGE_SIZE);
      }
      if (session.promptEvents) prepareReactiveRestore(session);
      const t0 = b.now();
      const now = () => b.now() - t0;
      // the restore begins when criu restore connects, not when the daemon starts listening
      let started = false;
      const begin = (t: number) => {
        started = true;
        facts.restoreStarted(t, session.initialLazyPages, image.processes.length, image.processes.reduce((n, p) => n + p.totalPages, 0));
        session.start(port);
      };
      run = new NativeRun({
        binding: b,
        runnerPath: native.runnerPath,
        dir,
        t0,
        mode: 'backend',
        onEvent: (kind, t, pid, a, bb, c, d) => {
          if (!started) begin(t);
          session.emit(kind, t, pid, a, bb, c, d);
        },
        batch: (emits) => session.batch(emits),
        signal: options.signal,
        reactive: session.promptEvents,
        cpus,
        criu: { criuSocket: this.socketPath, guardianPath: native.guardianPath, sourceFiles: files, sourceRuns: new Float64Array(runs) },
      });
      port = new NativePort(run, image, now);
      run.startMonitor();
      port.applyPlanRules(session.plan);
      this.options.onListening?.(this.socketPath);
      await run.wait();
      // every task has its pages: the guardian lets go, then the uffds close
      run.monitor.releaseRunners();
      this.lastStats = run.monitor.stats();
      await run.close();
      facts.restoreEnded(now());
    } finally {
      try {
        await run?.close();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}
