/** The metadata frame at the head of every event log. */
export interface RunMeta {
  readonly format: 'restorelab-log';
  readonly version: 1;
  readonly backend: string;
  readonly workload: string;
  /** The strategy stack as asked for, e.g. thp-guard,neighbor-prefetch:window=16. */
  readonly strategy: string;
  readonly seed: number;
  readonly pageSize: number;
  readonly processes: number;
  readonly totalPages: number;
  /** Backend facts worth keeping: cost model (sim), kernel and features (linux). */
  readonly backendInfo?: Readonly<Record<string, unknown>>;
}
