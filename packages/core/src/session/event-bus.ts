import { Observable } from 'rxjs';
import { EVENT_KIND_COUNT } from '../events/event-kind';
import { IndexFifo } from '../collections/index-fifo';
import { EventStore } from '../events/event-store';
import { decodeEvent, RestoreEvent } from '../events/restore-event';
import { PAGE_STATE_KINDS } from '../state/page-fold';
import { PageState } from '../state/page-state';
import { EventHub } from './event-hub';
import { beginDelivery, endDelivery, StrategyZone } from './strategy-zone';

/**
 * The one bus of a restore: every fact goes into the log and the page-state fold, then to the
 * streams that asked for its kind, in log order. An event emitted while one is being delivered (a
 * strategy copying inside its handler) waits until every subscriber had the earlier one.
 */
export class EventBus {
  private readonly hubs: (EventHub<RestoreEvent> | undefined)[] = new Array(EVENT_KIND_COUNT);
  private allHub: EventHub<RestoreEvent> | undefined;
  /** 1 where some stream is subscribed to the kind (or to all): the emit path reads only this. */
  private readonly wanted = new Uint8Array(EVENT_KIND_COUNT);
  private readonly pending = new IndexFifo();
  private delivering = false;
  /** Inside batch(): the zone to go back to at its end, and how deep batches nest. */
  private batchOuter: StrategyZone | undefined;
  private batchDepth = 0;
  /** The latest event handed to the streams: what a command can be reacting to. */
  lastDelivered = -1;

  constructor(
    readonly store: EventStore,
    readonly state: PageState,
    /** Each subscriber's zone (strategy-zone.ts), entered while it handles an event. */
    private readonly zoneOf: (owner: number) => StrategyZone | undefined = () => undefined,
  ) {}

  emit(kind: number, t: number, pid: number, a: number, b: number, c: number, d: number): number {
    const seq = this.store.append(kind, t, pid, a, b, c, d);
    if (PAGE_STATE_KINDS[kind] === 1) this.state.apply(kind, pid, a, b, c, d);
    if (this.wanted[kind] === 1) {
      // not inside a delivery: nothing waits before it, and its fields are at hand (small
      // integers, where the store's columns of doubles would give a heap number per field)
      if (this.delivering) this.pending.push(seq);
      else this.deliver(decodeEvent(seq, kind, t, pid, a, b, c, d));
    }
    return seq;
  }

  /** Runs `emits` with the zone switched back once at its end, not after every delivery. */
  batch<R>(emits: () => R): R {
    if (this.batchDepth++ === 0) this.batchOuter = beginDelivery();
    try {
      return emits();
    } finally {
      if (--this.batchDepth === 0) endDelivery(this.batchOuter);
    }
  }

  /** The events of one kind (or all of them) for subscriber `owner`. */
  stream(kind: number | 'all', owner: number): Observable<RestoreEvent> {
    return this.hub(kind).observable(owner, this.zoneOf(owner));
  }

  /** Completes every stream of one subscriber (a strategy that was detached). */
  completeOwner(owner: number): void {
    for (const h of this.hubs) h?.completeOwner(owner);
    this.allHub?.completeOwner(owner);
  }

  complete(): void {
    for (const h of this.hubs) h?.complete();
    this.allHub?.complete();
  }

  private hub(kind: number | 'all'): EventHub<RestoreEvent> {
    if (kind === 'all') return (this.allHub ??= new EventHub<RestoreEvent>(this.updateWanted));
    if (!(kind >= 1 && kind < EVENT_KIND_COUNT)) throw new Error(`unknown event kind ${kind}`);
    return (this.hubs[kind] ??= new EventHub<RestoreEvent>(this.updateWanted));
  }

  private readonly updateWanted = (): void => {
    const all = this.allHub?.observed === true;
    for (let k = 0; k < EVENT_KIND_COUNT; k++) this.wanted[k] = all || this.hubs[k]?.observed === true ? 1 : 0;
  };

  /** Hands `first` to its streams, then whatever its subscribers emitted meanwhile, in log order. */
  private deliver(first: RestoreEvent): void {
    this.delivering = true;
    const st = this.store;
    const batched = this.batchDepth > 0;
    const outer = batched ? undefined : beginDelivery();
    try {
      for (let ev: RestoreEvent | undefined = first; ev; ) {
        this.lastDelivered = ev.seq;
        this.hubs[ev.kind]?.next(ev);
        this.allHub?.next(ev);
        const seq = this.pending.shift();
        ev = seq >= 0 ? decodeEvent(seq, st.kind[seq], st.t[seq], st.pid[seq], st.a[seq], st.b[seq], st.c[seq], st.d[seq]) : undefined;
      }
    } finally {
      this.delivering = false;
      if (!batched) endDelivery(outer);
    }
  }
}
