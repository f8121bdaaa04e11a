import { performance } from 'perf_hooks';

export interface ProfilePhase {
  readonly name: string;
  readonly ms: number;
  /** What the phase did, e.g. "cache hit" or "1048576 pages at 2.61 GB/s". */
  readonly note?: string;
}

/** Wall time of the phases of a command that happen outside the event log (set-up, results). */
export class RunProfile {
  private readonly list: ProfilePhase[] = [];

  get phases(): readonly ProfilePhase[] {
    return this.list;
  }

  add(name: string, ms: number, note?: string): void {
    this.list.push(note === undefined ? { name, ms } : { name, ms, note });
  }

  time<T>(name: string, fn: () => T, note?: (value: T) => string | undefined): T {
    const t0 = performance.now();
    const value = fn();
    this.add(name, performance.now() - t0, note?.(value));
    return value;
  }

  async timeAsync<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(name, performance.now() - t0);
    }
  }
}
