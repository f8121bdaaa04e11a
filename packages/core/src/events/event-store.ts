import { EventSink } from './event-sink';

/** Receives the store's events in chunks as they are appended (e.g. a log file writer). */
export interface EventStoreListener {
  /** Events [from, to) are final. Strings [stringsFrom, store.stringCount) were interned since the last call. */
  onChunk(store: EventStore, from: number, to: number, stringsFrom: number): void;
  onClose(store: EventStore): void;
}

const INITIAL_CAPACITY = 1 << 14;
/** Events per chunk handed to listeners. */
export const EVENT_CHUNK = 1 << 16;

/**
 * Append-only event log in columns of typed arrays: millions of events, no object per event.
 * seq is the index. See event-kind.ts for the meaning of a..d per kind.
 */
export class EventStore implements EventSink {
  t = new Float64Array(INITIAL_CAPACITY);
  a = new Float64Array(INITIAL_CAPACITY);
  b = new Float64Array(INITIAL_CAPACITY);
  c = new Float64Array(INITIAL_CAPACITY);
  d = new Float64Array(INITIAL_CAPACITY);
  pid = new Int32Array(INITIAL_CAPACITY);
  kind = new Uint8Array(INITIAL_CAPACITY);
  private len = 0;
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly listeners: EventStoreListener[] = [];
  private flushedEvents = 0;
  private flushedStrings = 0;
  private closed = false;

  get length(): number {
    return this.len;
  }
  get stringCount(): number {
    return this.strings.length;
  }
  string(i: number): string {
    return this.strings[i] ?? '';
  }

  addListener(l: EventStoreListener): void {
    this.listeners.push(l);
  }

  append(kind: number, t: number, pid: number, a: number, b: number, c: number, d: number): number {
    if (this.closed) throw new Error('event store is closed');
    const i = this.len;
    if (i === this.t.length) this.grow();
    this.t[i] = t;
    this.kind[i] = kind;
    this.pid[i] = pid;
    this.a[i] = a;
    this.b[i] = b;
    this.c[i] = c;
    this.d[i] = d;
    this.len = i + 1;
    if (this.len - this.flushedEvents >= EVENT_CHUNK) this.flush();
    return i;
  }

  intern(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  /** Hands the events appended since the last flush to the listeners. */
  flush(): void {
    if (this.len === this.flushedEvents && this.strings.length === this.flushedStrings) return;
    for (const l of this.listeners) l.onChunk(this, this.flushedEvents, this.len, this.flushedStrings);
    this.flushedEvents = this.len;
    this.flushedStrings = this.strings.length;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const l of this.listeners) l.onClose(this);
  }

  /** Room for `events` more events without growing on the way (capacity doubles to fit). */
  reserve(events: number): void {
    let cap = this.t.length;
    while (cap - this.len < events) cap *= 2;
    if (cap !== this.t.length) this.grow(cap);
  }

  private grow(cap = this.t.length * 2): void {
    const f = (old: Float64Array) => {
      const n = new Float64Array(cap);
      n.set(old);
      return n;
    };
    this.t = f(this.t);
    this.a = f(this.a);
    this.b = f(this.b);
    this.c = f(this.c);
    this.d = f(this.d);
    const p = new Int32Array(cap);
    p.set(this.pid);
    this.pid = p;
    const k = new Uint8Array(cap);
    k.set(this.kind);
    this.kind = k;
  }
}
