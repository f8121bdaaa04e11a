import { Container } from 'inversify';
import { LinuxBackend, Placement, referenceRun, DEFAULT_PLACEMENT } from '@restorelab/backend-linux';
import { pagesGBps, restorePhases, Workload } from '@restorelab/core';
import { createWorkload, runOne } from '../run-one';

export interface RestoreBenchOptions {
  /** Pages of each seq workload measured (default 65536 and 262144). */
  readonly pages?: readonly number[];
  /** Measured rounds after one warm-up round; the best of each kind is kept (default 3). */
  readonly repeat?: number;
  readonly placement?: Placement;
}

export interface RestoreBenchRow {
  readonly workload: string;
  /** Every page in 512-page UFFDIO_COPY calls from the same pages file, nothing else (the C reference). */
  readonly referenceGBps: number;
  /** `run --backend linux --strategy eager` as a user runs it (verified): pages / restore ms. */
  readonly restoreGBps: number;
  readonly restoreMs: number;
  /** The same run's copy phase alone (registration to the last precopy copy, from its log). */
  readonly copyGBps: number;
  /** restoreGBps / referenceGBps: target >= 0.9. */
  readonly restoreRatio: number;
  readonly copyRatio: number;
}

/**
 * A real eager restore against the C reference's batched copy of the same image, in this process,
 * interleaved (a busy moment of the machine hits both), the first round a warm-up.
 */
export async function benchRestore(container: Container, opts: RestoreBenchOptions = {}): Promise<RestoreBenchRow[]> {
  const sizes = opts.pages ?? [65536, 262144];
  const repeat = Math.max(1, opts.repeat ?? 3);
  const placement = opts.placement ?? DEFAULT_PLACEMENT;
  const rows: RestoreBenchRow[] = [];
  for (const pages of sizes) {
    const workload = createWorkload(container, `seq:pages=${pages}`, 1);
    rows.push(await benchOne(container, workload, repeat, placement));
  }
  return rows;
}

async function benchOne(container: Container, workload: Workload, repeat: number, placement: Placement): Promise<RestoreBenchRow> {
  const total = workload.image.processes.reduce((n, p) => n + p.totalPages, 0);
  let reference = 0;
  let restoreMs = Infinity;
  let copy = 0;
  for (let i = 0; i <= repeat; i++) {
    const counted = i > 0;
    const ref = async () => {
      const r = await referenceRun(workload, 'reference-eager', placement);
      if (counted) reference = Math.max(reference, pagesGBps(r.precopyPages, r.precopyNs));
    };
    const real = async () => {
      const out = await runOne(container, { backend: new LinuxBackend({ placement }), workload, strategy: 'eager', seed: 1, logPath: null });
      if (!out.result.verified) throw new Error(`bench restore: the eager restore of ${workload.spec} did not verify`);
      if (!counted) return;
      const ms = out.result.metrics.restoreNs / 1e6;
      restoreMs = Math.min(restoreMs, ms);
      const phase = restorePhases(out.store).find((p) => p.name === 'precopy');
      if (phase) copy = Math.max(copy, pagesGBps(out.result.metrics.pagesCopied.precopy, phase.ms * 1e6));
    };
    if (i % 2 === 0) {
      await ref();
      await real();
    } else {
      await real();
      await ref();
    }
  }
  const restore = pagesGBps(total, restoreMs * 1e6);
  return {
    workload: workload.spec,
    referenceGBps: reference,
    restoreGBps: restore,
    restoreMs,
    copyGBps: copy,
    restoreRatio: reference > 0 ? restore / reference : 0,
    copyRatio: reference > 0 ? copy / reference : 0,
  };
}
