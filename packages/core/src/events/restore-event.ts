import { filter, OperatorFunction } from 'rxjs';
import { EventKind } from './event-kind';

/**
 * The event objects strategies receive on their streams: small readonly records decoded from the
 * store's columns only when somebody listens (the store itself holds no objects).
 */
interface Base {
  readonly seq: number;
  /** ns since the start of the run's clock. */
  readonly t: number;
  readonly pid: number;
}
export interface FaultRaisedEvent extends Base {
  readonly kind: typeof EventKind.FaultRaised;
  readonly page: number;
  readonly tid: number;
  readonly write: boolean;
  readonly wp: boolean;
}
export interface FaultResolvedEvent extends Base {
  readonly kind: typeof EventKind.FaultResolved;
  readonly page: number;
  readonly latencyNs: number;
}
export interface PagesCopiedEvent extends Base {
  readonly kind: typeof EventKind.PagesCopied;
  readonly page: number;
  readonly count: number;
  readonly cause: number;
  readonly calls: number;
}
export interface CopyRejectedEvent extends Base {
  readonly kind: typeof EventKind.CopyRejected;
  readonly page: number;
  readonly count: number;
  readonly reason: number;
  readonly cause: number;
}
export interface VmaRegisteredEvent extends Base {
  readonly kind: typeof EventKind.VmaRegistered;
  readonly vma: number;
  readonly firstPage: number;
  readonly pages: number;
  readonly mode: number;
}
export interface ProcessForkedEvent extends Base {
  readonly kind: typeof EventKind.ProcessForked;
  readonly child: number;
}
/** Any other event, with its raw fields (see the table in event-kind.ts). */
export interface RawEvent extends Base {
  readonly kind: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}
export type RestoreEvent =
  | FaultRaisedEvent
  | FaultResolvedEvent
  | PagesCopiedEvent
  | CopyRejectedEvent
  | VmaRegisteredEvent
  | ProcessForkedEvent
  | RawEvent;

/** The event object of each kind that has its own (the others are RawEvent). */
export interface EventByKind {
  [EventKind.FaultRaised]: FaultRaisedEvent;
  [EventKind.FaultResolved]: FaultResolvedEvent;
  [EventKind.PagesCopied]: PagesCopiedEvent;
  [EventKind.CopyRejected]: CopyRejectedEvent;
  [EventKind.VmaRegistered]: VmaRegisteredEvent;
  [EventKind.ProcessForked]: ProcessForkedEvent;
}
export type EventOf<K extends number> = K extends keyof EventByKind ? EventByKind[K] : RawEvent;

/** Keeps the events of the given kinds, typed (the @nestjs/cqrs ofType of this bus): `all$.pipe(ofKind(EventKind.CopyRejected))`. */
export function ofKind<K extends EventKind>(...kinds: K[]): OperatorFunction<RestoreEvent, EventOf<K>> {
  const wanted = new Set<number>(kinds);
  return filter((e: RestoreEvent): e is EventOf<K> => wanted.has(e.kind));
}

export function decodeEvent(
  seq: number,
  kind: number,
  t: number,
  pid: number,
  a: number,
  b: number,
  c: number,
  d: number,
): RestoreEvent {
  switch (kind) {
    case EventKind.FaultRaised:
      return { seq, kind, t, pid, page: a, tid: b, write: (c & 1) !== 0, wp: (c & 2) !== 0 };
    case EventKind.FaultResolved:
      return { seq, kind, t, pid, page: a, latencyNs: b };
    case EventKind.PagesCopied:
      return { seq, kind, t, pid, page: a, count: b, cause: c, calls: d };
    case EventKind.CopyRejected:
      return { seq, kind, t, pid, page: a, count: b, reason: c, cause: d };
    case EventKind.VmaRegistered:
      return { seq, kind, t, pid, vma: a, firstPage: b, pages: c, mode: d };
    case EventKind.ProcessForked:
      return { seq, kind, t, pid, child: a };
    default:
      return { seq, kind, t, pid, a, b, c, d };
  }
}
