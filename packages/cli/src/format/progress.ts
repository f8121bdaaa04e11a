/** Where progress goes: stderr, and only when it is a terminal. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(s: string): unknown;
}

export interface Clock {
  (): number;
}

/** Runs shorter than this never show a progress line. */
const SHOW_AFTER_MS = 400;
const REDRAW_EVERY_MS = 100;

/**
 * A one-line progress indicator for long runs: nothing unless the stream is a TTY, nothing for
 * the first SHOW_AFTER_MS of a run, then `label  42%` redrawn in place, erased at the end.
 * stdout is never touched, so `--json` output stays clean.
 */
export class Progress {
  private startedAt = 0;
  private lastDraw = 0;
  private label = '';
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly clock: Clock = Date.now,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  begin(label: string): void {
    this.label = label;
    this.startedAt = this.clock();
    this.lastDraw = 0;
  }

  /** fraction: 0..1 of the current run. */
  update = (fraction: number): void => {
    if (!this.enabled) return;
    const now = this.clock();
    if (now - this.startedAt < SHOW_AFTER_MS || now - this.lastDraw < REDRAW_EVERY_MS) return;
    this.lastDraw = now;
    const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    this.stream.write(`\r\x1b[2K${this.label}  ${pct}%`);
    this.drawn = true;
  };

  end(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}
