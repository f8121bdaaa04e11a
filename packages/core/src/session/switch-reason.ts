import { SwitchReason } from '../events/event-kind';
import { PrecopyRoundStat, PrecopyRoundsSpec } from '../model/precopy';

/** After the last round of `rounds`: the reason to switch over now, or null to run another round. */
export function switchReason(spec: PrecopyRoundsSpec, rounds: readonly PrecopyRoundStat[]): SwitchReason | null {
  const last = rounds[rounds.length - 1];
  if (!last) return null;
  if (last.dirtyPages === 0) return SwitchReason.Converged;
  if (spec.switchWhen?.(rounds)) return SwitchReason.Strategy;
  if (rounds.length >= spec.maxRounds) return SwitchReason.MaxRounds;
  const before = rounds[rounds.length - 2];
  if (spec.stopWhenNotShrinking && before && last.dirtyPages >= before.dirtyPages) return SwitchReason.NotShrinking;
  return null;
}
