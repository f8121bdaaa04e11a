import { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { beginDelivery, endDelivery, enterZone, StrategyZone } from './strategy-zone';

/**
 * Runs of one strategy's scheduled work at one instant of the clock beyond which it is detached:
 * on a virtual clock, work that keeps rescheduling itself at no delay (`interval(0)`) would never
 * let time pass, and the run would hang.
 */
export const MAX_RUNS_AT_ONE_INSTANT = 1_000_000;

/**
 * The scheduler one strategy sees: work it schedules runs inside a try/catch that detaches that
 * strategy (through `guard`) instead of breaking the backend's clock for every strategy.
 */
export function guardedScheduler(inner: SchedulerLike, guard: (error: unknown) => void, zone?: StrategyZone): SchedulerLike {
  let instant = NaN;
  let runs = 0;
  return {
    now: () => inner.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state: T) => void, delay?: number, state?: T): Subscription {
      return inner.schedule<T>(
        function (this: SchedulerAction<T>, s?: T) {
          const now = inner.now();
          if (now !== instant) {
            instant = now;
            runs = 0;
          } else if (++runs > MAX_RUNS_AT_ONE_INSTANT) {
            guard(new Error(`its scheduled work ran ${MAX_RUNS_AT_ONE_INSTANT} times at one instant without the clock moving (interval(0)?)`));
            this.unsubscribe();
            return;
          }
          const outer = beginDelivery();
          enterZone(zone);
          try {
            work.call(this, s as T);
          } catch (e) {
            guard(e);
            this.unsubscribe();
          } finally {
            endDelivery(outer);
          }
        },
        delay,
        state,
      );
    },
  };
}
