import { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/**
 * The scheduler one strategy sees: work it schedules runs inside a try/catch that detaches that
 * strategy (through `guard`) instead of breaking the backend's clock for every strategy.
 */
export function guardedScheduler(inner: SchedulerLike, guard: (error: unknown) => void): SchedulerLike {
  return {
    now: () => inner.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state: T) => void, delay?: number, state?: T): Subscription {
      return inner.schedule<T>(
        function (this: SchedulerAction<T>, s?: T) {
          try {
            work.call(this, s as T);
          } catch (e) {
            guard(e);
            this.unsubscribe();
          }
        },
        delay,
        state,
      );
    },
  };
}
