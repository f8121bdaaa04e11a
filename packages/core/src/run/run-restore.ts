import * as path from 'path';
import { RestoreBackend } from '../backend/restore-backend';
import { EventLogWriter } from '../events/event-log-writer';
import { EventStore } from '../events/event-store';
import { computeMetrics, isVerified } from '../metrics/compute-metrics';
import { RunResult } from '../metrics/run-metrics';
import { RunMeta } from '../events/run-meta';
import { Workload } from '../model/workload';
import { hasHugetlb } from '../model/image';
import { UsageError } from '../errors/usage-error';
import { formatLink, Link } from '../model/link';
import { CopyEngine, DEFAULT_COPY_ENGINE } from '../model/copy-engine';
import { checkFreeDisk } from '../io/free-disk';
import { expectedLogBytes } from '../workloads/workload-size';
import { AttachedStrategy, RestoreSession } from '../session/restore-session';
import { warmUpStrategies } from '../session/prime-event-path';
import { RunProfile } from '../metrics/run-profile';

export interface RunRequest {
  readonly backend: RestoreBackend;
  readonly workload: Workload;
  /** The stack as asked for, e.g. thp-guard,neighbor-prefetch:window=16. */
  readonly strategy: string;
  readonly strategies: readonly AttachedStrategy[];
  /** New instances of the same stack, for the backend's warm-up before its clock (BackendSession.warmUp). */
  readonly freshStrategies?: () => readonly AttachedStrategy[];
  readonly seed: number;
  /** Where the event log is streamed while the run goes; null: no file. */
  readonly logPath: string | null;
  readonly onProgress?: (fraction: number) => void;
  readonly signal?: AbortSignal;
  /** Told the set-up phases the log does not see. */
  readonly profile?: RunProfile;
  /** The pages come over this link (recorded in the log's backendInfo as `link`). */
  readonly link?: Link;
  /** How copied pages are placed (recorded in the log's backendInfo as `copyEngine` unless copy). */
  readonly copyEngine?: CopyEngine;
}

export interface RunOutcome {
  readonly result: RunResult;
  readonly store: EventStore;
  readonly meta: RunMeta;
}

export function runMeta(req: RunRequest): RunMeta {
  const image = req.workload.image;
  return {
    format: 'restorelab-log',
    version: 1,
    backend: req.backend.name,
    workload: req.workload.spec,
    strategy: req.strategy,
    seed: req.seed,
    pageSize: image.pageSize,
    processes: image.processes.length,
    totalPages: image.processes.reduce((n, p) => n + p.totalPages, 0),
    backendInfo: {
      ...req.backend.describe(),
      ...(req.link ? { link: formatLink(req.link) } : {}),
      ...(req.copyEngine && req.copyEngine !== DEFAULT_COPY_ENGINE ? { copyEngine: req.copyEngine } : {}),
    },
  };
}

/** The RunResult object a log yields: what `run --json` and `replay --json` both print. */
export function resultFromLog(meta: RunMeta, store: EventStore, log: string | null): RunResult {
  const metrics = computeMetrics(store);
  return {
    backend: meta.backend,
    workload: meta.workload,
    strategy: meta.strategy,
    log,
    verified: isVerified(store, metrics),
    metrics,
  };
}

function traceSize(w: Workload): { pages: number; accesses: number } {
  return { pages: w.image.processes.reduce((n, p) => n + p.totalPages, 0), accesses: w.traces.reduce((n, t) => n + t.page.length, 0) };
}

/** Runs one restore end to end; the metrics come from the log alone. */
export async function runRestore(req: RunRequest): Promise<RunOutcome> {
  if (req.copyEngine && req.copyEngine !== DEFAULT_COPY_ENGINE && hasHugetlb(req.workload.image))
    throw new UsageError(`--copy-engine ${req.copyEngine}: the image has hugetlb VMAs, which only the copy engine restores (UFFDIO_COPY of whole huge pages)`);
  const meta = runMeta(req);
  const store = new EventStore();
  if (req.logPath) checkFreeDisk(path.dirname(req.logPath), expectedLogBytes(traceSize(req.workload)), `the event log ${req.logPath}`);
  if (req.logPath) store.addListener(new EventLogWriter(req.logPath, meta));
  let session: RestoreSession | undefined;
  try {
    const strategies = req.strategies;
    const fresh = req.freshStrategies;
    const warmUp = fresh ? () => void warmUpStrategies(strategies.map((s) => s.spec).join(','), fresh) : undefined;
    const open = () => new RestoreSession(req.workload, strategies, store, warmUp);
    session = req.profile ? req.profile.time('plan', open) : open();
    if (session.plan.precopyRounds && req.copyEngine && req.copyEngine !== DEFAULT_COPY_ENGINE)
      throw new UsageError(`pre-copy rounds (${req.strategies[session.plan.precopyRounds.owner].spec}) place pages with the copy engine only: drop --copy-engine ${req.copyEngine}`);
    await req.backend.run(session, { seed: req.seed, onProgress: req.onProgress, signal: req.signal, profile: req.profile, link: req.link, copyEngine: req.copyEngine });
  } finally {
    session?.finish();
    store.close();
  }
  return { result: resultFromLog(meta, store, req.logPath), store, meta };
}
