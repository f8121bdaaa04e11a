import { SingleBar } from 'cli-progress';

/** How the matrix reports its progress. */
export interface MatrixProgress {
  /** `total` runs in this invocation's slice, `done` of them finished before (resumed). */
  start(total: number, done: number): void;
  /** One run finished (ok or failed). */
  runFinished(label: string, outcome: 'ok' | 'unverified' | 'failed', wallMs: number): void;
  stop(): void;
}

export interface TextStream {
  readonly isTTY?: boolean;
  write(s: string): unknown;
}

/** A bar with ETA on a terminal; plain lines when the stream is not a terminal or CI is set. */
export function matrixProgress(stream: TextStream & NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): MatrixProgress {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return stream.isTTY && !ci ? new BarProgress(stream) : new LineProgress(stream);
}

export class LineProgress implements MatrixProgress {
  private total = 0;
  private done = 0;
  constructor(private readonly stream: TextStream) {}
  start(total: number, done: number): void {
    this.total = total;
    this.done = done;
    this.stream.write(`matrix: ${total} runs${done > 0 ? `, ${done} already done (resuming)` : ''}\n`);
  }
  runFinished(label: string, outcome: 'ok' | 'unverified' | 'failed', wallMs: number): void {
    this.done++;
    const mark = outcome === 'ok' ? 'done' : outcome === 'unverified' ? 'NOT VERIFIED' : 'FAILED';
    this.stream.write(`[${this.done}/${this.total}] ${mark} ${label} (${(wallMs / 1000).toFixed(1)} s)\n`);
  }
  stop(): void {}
}

class BarProgress implements MatrixProgress {
  private readonly bar: SingleBar;
  private running = false;
  constructor(stream: NodeJS.WritableStream) {
    this.bar = new SingleBar({
      stream,
      format: 'matrix [{bar}] {value}/{total} runs | ETA {eta_formatted} | {last}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      fps: 5,
    });
  }
  start(total: number, done: number): void {
    this.bar.start(total, done, { last: done > 0 ? `resuming: ${done} already done` : '' });
    this.running = true;
  }
  runFinished(label: string, outcome: 'ok' | 'unverified' | 'failed'): void {
    if (this.running) this.bar.increment(1, { last: outcome === 'ok' ? label : `${outcome.toUpperCase()}: ${label}` });
  }
  stop(): void {
    if (this.running) this.bar.stop();
    this.running = false;
  }
}
