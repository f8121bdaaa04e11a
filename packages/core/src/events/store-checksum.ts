import { crc32 } from 'zlib';
import { EventStore } from './event-store';

/**
 * CRC-32 of a store's events (the columns t, kind, pid, a, b, c, d over [0, length), in that
 * order, as little-endian bytes) and its string table: what a log format without checksums of its
 * own (Arrow) stores beside the events, so a reader knows it reads what was written.
 */
export function eventStoreCrc32(store: EventStore): number {
  const n = store.length;
  let crc = 0;
  for (const col of [store.t, store.kind, store.pid, store.a, store.b, store.c, store.d]) {
    crc = crc32(new Uint8Array(col.buffer, col.byteOffset, n * col.BYTES_PER_ELEMENT), crc);
  }
  for (let i = 0; i < store.stringCount; i++) crc = crc32(`${store.string(i)}\0`, crc);
  return crc;
}
