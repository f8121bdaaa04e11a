/** Pages one send of a round moves (one process_vm_readv and one process_vm_writev; native RL_PRECOPY_BATCH_PAGES). */
export const PRECOPY_BATCH_PAGES = 64;

/** At most this many pre-copy rounds (QEMU's default iteration limit is of this order). */
export const MAX_PRECOPY_ROUNDS = 30;

/** One pre-copy round as the switch-over decision sees it. */
export interface PrecopyRoundStat {
  /** 1-based. */
  readonly round: number;
  /** Pages sent in the round (round 1: every content page; later: the dirty set collected before it). */
  readonly sentPages: number;
  /** Pages the source wrote while the round ran (collected and re-protected at its end). */
  readonly dirtyPages: number;
  readonly roundNs: number;
}

/**
 * Pre-copy rounds from a live source before the restore (PlanContext.precopyRounds): the source
 * runs its source phase, round 1 sends every content page, each later round re-sends what the source
 * wrote during the one before. After a round the switch-over comes when `maxRounds` rounds ran, the
 * dirty set is empty, it stopped shrinking (`stopWhenNotShrinking`), or `switchWhen` says so. The
 * source runs its whole source phase at least once; it then stops, its last dirty pages are dropped
 * from the destination (they are lazy: post-copy fetches them) and the restore goes on as planned.
 */
export interface PrecopyRoundsSpec {
  readonly maxRounds: number;
  readonly stopWhenNotShrinking: boolean;
  /** A strategy's decision after each round, from the rounds so far: true switches over now. */
  readonly switchWhen?: (rounds: readonly PrecopyRoundStat[]) => boolean;
}

export function checkPrecopyRounds(spec: PrecopyRoundsSpec): PrecopyRoundsSpec {
  if (!(Number.isInteger(spec.maxRounds) && spec.maxRounds >= 1 && spec.maxRounds <= MAX_PRECOPY_ROUNDS))
    throw new Error(`pre-copy rounds: maxRounds must be an integer in [1, ${MAX_PRECOPY_ROUNDS}], not ${spec.maxRounds}`);
  if (spec.switchWhen !== undefined && typeof spec.switchWhen !== 'function') throw new Error('pre-copy rounds: switchWhen must be a function');
  return { maxRounds: spec.maxRounds, stopWhenNotShrinking: spec.stopWhenNotShrinking === true, ...(spec.switchWhen ? { switchWhen: spec.switchWhen } : {}) };
}
