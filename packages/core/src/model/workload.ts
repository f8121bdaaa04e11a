import { Image } from './image';

/** The access trace of one process, as columns (one entry per access). */
export interface ProcessTrace {
  readonly pid: number;
  /** Linear page index touched by each access. */
  readonly page: Uint32Array;
  /** 1 for a write, 0 for a read. */
  readonly write: Uint8Array;
  /** Compute time before the access, in ns. */
  readonly gapNs: Uint32Array;
  /**
   * Accesses [0, migrateAt) are the source-side phase, observed before switch-over
   * (where hot-first profiles come from); the restore replays [migrateAt, length).
   */
  readonly migrateAt: number;
}

export interface Workload {
  /** The spec it was made from, e.g. `zipf:pages=65536,accesses=200000,theta=0.99,seed=1`. */
  readonly spec: string;
  readonly name: string;
  readonly params: Readonly<Record<string, number | string | boolean>>;
  readonly image: Image;
  /** One trace per process of the image, same order as image.processes. */
  readonly traces: readonly ProcessTrace[];
}
