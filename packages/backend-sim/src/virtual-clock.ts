import { VirtualAction, VirtualTimeScheduler } from 'rxjs';

const NS_PER_MS = 1e6;

/**
 * The simulator's clock in ns and the RxJS scheduler strategies get, in ms as everywhere in RxJS
 * (frame = ns / 1e6). Scheduled actions run only when the simulation reaches their time.
 */
export class VirtualClock {
  readonly scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  private nowNs = 0;

  get now(): number {
    return this.nowNs;
  }

  /** Moves the clock forward to t (never back). */
  advance(t: number): void {
    if (t > this.nowNs) this.nowNs = t;
    this.scheduler.frame = this.nowNs / NS_PER_MS;
  }

  /** When the earliest scheduled action is due, in ns; Infinity when none is scheduled. */
  nextDue(): number {
    const a = this.scheduler.actions[0];
    if (!a) return Infinity;
    const t = Math.round(a.delay * NS_PER_MS);
    return t > this.nowNs ? t : this.nowNs;
  }

  /** Runs every action due at or before the current time (and what they schedule for then). */
  flushDue(): void {
    const s = this.scheduler;
    const actions = s.actions;
    while (actions.length > 0 && Math.round(actions[0].delay * NS_PER_MS) <= this.nowNs) {
      s.maxFrames = actions[0].delay;
      s.flush();
    }
    s.maxFrames = Infinity;
    s.frame = this.nowNs / NS_PER_MS;
  }
}
