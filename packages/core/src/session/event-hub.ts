import { Observable, Subscriber } from 'rxjs';
import { enterZone, StrategyZone } from './strategy-zone';

interface Entry<T> {
  readonly subscriber: Subscriber<T>;
  /** The strategy (index in the stack) that subscribed, so that detaching it ends its streams. */
  readonly owner: number;
  /** Its zone: what its handlers start (timers, promises) is still its own. */
  readonly zone: StrategyZone | undefined;
}

/**
 * The session's delivery of one stream (one event kind, or all): a plain list of subscribers the
 * events are handed to in order. Lighter than an RxJS Subject on the event path (no closure, no
 * iterator per event) and it knows which strategy each subscriber belongs to, so a detached
 * strategy's streams complete without a takeUntil stage on every event.
 */
export class EventHub<T> {
  private entries: readonly Entry<T>[] = [];

  /** `changed` is called whenever the hub gains or loses a subscriber. */
  constructor(private readonly changed: () => void) {}

  get observed(): boolean {
    return this.entries.length > 0;
  }

  next(value: T): void {
    // the list is replaced, never changed in place: a subscriber leaving now still gets this one
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      enterZone(e.zone);
      e.subscriber.next(value);
    }
  }

  /** The stream as strategy `owner` sees it. */
  observable(owner: number, zone?: StrategyZone): Observable<T> {
    return new Observable<T>((subscriber) => {
      const entry: Entry<T> = { subscriber, owner, zone };
      this.entries = [...this.entries, entry];
      this.changed();
      return () => {
        this.entries = this.entries.filter((e) => e !== entry);
        this.changed();
      };
    });
  }

  /** Completes the streams of strategy `owner` (it was detached). */
  completeOwner(owner: number): void {
    const mine = this.entries.filter((e) => e.owner === owner);
    if (mine.length === 0) return;
    this.entries = this.entries.filter((e) => e.owner !== owner);
    this.changed();
    for (const e of mine) e.subscriber.complete();
  }

  complete(): void {
    const all = this.entries;
    this.entries = [];
    this.changed();
    for (const e of all) e.subscriber.complete();
  }
}
