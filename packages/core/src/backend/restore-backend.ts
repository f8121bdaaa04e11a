import type { CopyEngine } from '../model/copy-engine';
import type { Link } from '../model/link';
import type { RunProfile } from '../metrics/run-profile';
import type { BackendSession } from './backend-session';
import type { WorkloadSize } from '../workloads/workload-size';

export interface BackendAvailability {
  readonly available: boolean;
  /** Why not, in one line, with what to do about it. */
  readonly reason?: string;
}

export interface BackendRunOptions {
  readonly seed: number;
  /** Called now and then with the fraction of the workload done (0..1), for progress bars. */
  readonly onProgress?: (fraction: number) => void;
  readonly signal?: AbortSignal;
  /** Where the backend times its set-up before RestoreStarted (run files, pages). */
  readonly profile?: RunProfile;
  /** The pages come over this link from a page server (the simulator models it; Linux starts a shaped one on loopback). */
  readonly link?: Link;
  /** How copied pages are placed (default copy); the simulator charges the engine's costs. */
  readonly copyEngine?: CopyEngine;
}

/**
 * A backend executes a session: applies the plan, runs the workload, emits every fact through
 * session.emit, lets the strategies act through the port it passes to session.start, and returns
 * when the workload has ended and the verification events are in the log.
 * A failed verification is not an exception: it is a PagesVerified event with mismatches.
 * An exception means the backend itself could not run (its message is shown to the user).
 */
export const RestoreBackend = Symbol('RestoreBackend');
export interface RestoreBackend {
  readonly name: string;
  readonly description: string;
  /** What the log's timestamps measure: wall time (default), or a simulator's virtual time. */
  readonly clock?: 'wall' | 'virtual';
  availability(): Promise<BackendAvailability>;
  /** Facts recorded in the log's metadata (cost model, kernel, features). */
  describe(): Readonly<Record<string, unknown>>;
  /**
   * Refuses (UsageError naming the figure and the limit), before the workload is built, one this
   * backend could not restore here: e.g. no disk for its pages file. `what` names the workload.
   */
  checkFits?(size: WorkloadSize, what: string): void;
  run(session: BackendSession, options: BackendRunOptions): Promise<void>;
}
