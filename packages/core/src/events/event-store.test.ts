import { EventKind } from './event-kind';
import { EVENT_CHUNK, EventStore, EventStoreListener } from './event-store';

interface Chunk {
  from: number;
  to: number;
  stringsFrom: number;
  stringCount: number;
}

class RecordingListener implements EventStoreListener {
  readonly chunks: Chunk[] = [];
  closed = 0;
  onChunk(store: EventStore, from: number, to: number, stringsFrom: number): void {
    this.chunks.push({ from, to, stringsFrom, stringCount: store.stringCount });
  }
  onClose(): void {
    this.closed++;
  }
}

describe('EventStore', () => {
  it('keeps every column intact while it grows past its initial capacity', () => {
    const store = new EventStore();
    const initial = store.t.length;
    expect(initial).toBe(1 << 14);
    const n = (1 << 14) * 2 + 17;
    let wrongSeq = 0;
    for (let i = 0; i < n; i++) {
      if (store.append(EventKind.PagesCopied, i * 10, i % 7, i, i + 0.5, -i, 2 ** 40 + i) !== i) wrongSeq++;
    }
    expect(wrongSeq).toBe(0);
    expect(store.length).toBe(n);
    expect(store.t.length).toBeGreaterThanOrEqual(n);
    for (const i of [0, 1, initial - 1, initial, initial + 1, 2 * initial, n - 1]) {
      expect([store.kind[i], store.t[i], store.pid[i], store.a[i], store.b[i], store.c[i], store.d[i]]).toEqual([
        EventKind.PagesCopied,
        i * 10,
        i % 7,
        i,
        i + 0.5,
        -i,
        2 ** 40 + i,
      ]);
    }
  });

  it('interns each string once, in order', () => {
    const store = new EventStore();
    expect(store.intern('neighbor-prefetch')).toBe(0);
    expect(store.intern('boom')).toBe(1);
    expect(store.intern('neighbor-prefetch')).toBe(0);
    expect(store.stringCount).toBe(2);
    expect(store.string(1)).toBe('boom');
    expect(store.string(5)).toBe('');
  });

  it('hands listeners a chunk every EVENT_CHUNK events and the rest on close', () => {
    const store = new EventStore();
    const l = new RecordingListener();
    store.addListener(l);
    store.intern('a');
    for (let i = 0; i < EVENT_CHUNK - 1; i++) store.append(EventKind.FaultRaised, i, 1, i, 0, 0, 0);
    expect(l.chunks).toEqual([]);
    store.append(EventKind.FaultRaised, 0, 1, 0, 0, 0, 0);
    expect(l.chunks).toEqual([{ from: 0, to: EVENT_CHUNK, stringsFrom: 0, stringCount: 1 }]);

    store.intern('b');
    store.intern('c');
    for (let i = 0; i < EVENT_CHUNK + 5; i++) store.append(EventKind.FaultRaised, i, 1, i, 0, 0, 0);
    expect(l.chunks[1]).toEqual({ from: EVENT_CHUNK, to: 2 * EVENT_CHUNK, stringsFrom: 1, stringCount: 3 });
    expect(l.chunks).toHaveLength(2);

    store.close();
    expect(l.chunks[2]).toEqual({ from: 2 * EVENT_CHUNK, to: 2 * EVENT_CHUNK + 5, stringsFrom: 3, stringCount: 3 });
    expect(l.chunks).toHaveLength(3);
    expect(l.closed).toBe(1);
  });

  it('flush() is a no-op when nothing is new, but reports new strings alone', () => {
    const store = new EventStore();
    const l = new RecordingListener();
    store.addListener(l);
    store.flush();
    expect(l.chunks).toEqual([]);
    store.append(EventKind.RestoreStarted, 0, 0, 1, 1, 1, 0);
    store.flush();
    store.flush();
    expect(l.chunks).toEqual([{ from: 0, to: 1, stringsFrom: 0, stringCount: 0 }]);
    store.intern('late');
    store.flush();
    expect(l.chunks[1]).toEqual({ from: 1, to: 1, stringsFrom: 0, stringCount: 1 });
  });

  it('refuses appends after close, and closes once', () => {
    const store = new EventStore();
    const l = new RecordingListener();
    store.addListener(l);
    store.append(EventKind.RestoreEnded, 5, 0, 0, 0, 0, 0);
    store.close();
    store.close();
    expect(l.closed).toBe(1);
    expect(l.chunks).toHaveLength(1);
    expect(() => store.append(EventKind.RestoreEnded, 6, 0, 0, 0, 0, 0)).toThrow('event store is closed');
    expect(store.length).toBe(1);
  });
});
