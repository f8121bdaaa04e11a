import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { ContainerOptions } from '../container';
import { RunTask, TaskResult } from './execute-run';

/** The compiled worker script (tests run the TypeScript sources, so they use the build's). */
export function workerScript(): string {
  const here = path.join(__dirname, 'matrix-worker.js');
  if (fs.existsSync(here)) return here;
  const built = path.resolve(__dirname, '..', '..', 'dist', 'experiment', 'matrix-worker.js');
  if (fs.existsSync(built)) return built;
  throw new Error(`the matrix worker script is missing (${here}): build restorelab first (npx tsc -b)`);
}

/**
 * Runs tasks on `size` worker threads, each with its own container. A worker that dies fails its
 * task and is replaced. terminate() stops every worker at once (their current runs are lost).
 */
export class WorkerPool {
  private readonly workers = new Set<Worker>();
  private stopping = false;
  private finish: (() => void) | undefined;

  constructor(
    private readonly size: number,
    private readonly options: ContainerOptions,
  ) {}

  run(tasks: readonly RunTask[], onResult: (task: RunTask, result: TaskResult) => void): Promise<void> {
    const queue = [...tasks];
    let pending = queue.length;
    return new Promise<void>((resolve) => {
      this.finish = resolve;
      if (pending === 0) return resolve();
      const settle = (task: RunTask, result: TaskResult) => {
        if (this.stopping) return;
        pending--;
        onResult(task, result);
        if (pending === 0) {
          this.finish = undefined;
          void this.terminate().then(resolve);
        }
      };
      const spawn = () => {
        const first = queue.shift();
        if (!first || this.stopping) return;
        const worker = new Worker(workerScript(), { workerData: this.options });
        this.workers.add(worker);
        let current: RunTask | undefined = first;
        worker.postMessage(first);
        worker.on('message', (result: TaskResult) => {
          const done = current!;
          current = queue.shift();
          if (current && !this.stopping) worker.postMessage(current);
          settle(done, result);
        });
        const died = (why: string) => {
          this.workers.delete(worker);
          if (this.stopping || !current) return;
          const task = current;
          current = undefined;
          settle(task, { record: { id: task.id, verified: false, error: `worker thread died: ${why}`, wallMs: 0 }, usageError: false, aborted: false });
          if (queue.length > 0) spawn();
        };
        worker.on('error', (e) => died(e instanceof Error ? e.message : String(e)));
        worker.on('exit', (code) => died(`exit code ${code}`));
      };
      for (let i = 0; i < Math.min(this.size, queue.length); i++) spawn();
    });
  }

  /** Stops every worker now; a run() in progress resolves. */
  async terminate(): Promise<void> {
    this.stopping = true;
    const all = [...this.workers];
    this.workers.clear();
    await Promise.all(all.map((w) => w.terminate()));
    const f = this.finish;
    this.finish = undefined;
    f?.();
  }
}
