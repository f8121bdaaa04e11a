import type { Hash } from 'crypto';
import * as fs from 'fs';
import { Image, PageFlag } from '../model/image';

/** Content pages are gathered and written this many at a time. */
const BATCH_PAGES = 256;

function writeFully(fd: number, buf: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) done += fs.writeSync(fd, buf, done, length - done, position + done);
}

/**
 * Writes the image's pages blob into `fd`: page p of a process at blobOffset + p * pageSize,
 * content pages in batched writes, zero pages left as holes of a sparse file. `hash`, when given,
 * is fed the whole blob in order, holes as zeros.
 */
export function writePagesBlob(image: Image, fd: number, hash?: Hash): void {
  const pageSize = image.pageSize;
  const batch = new Uint8Array(BATCH_PAGES * pageSize);
  const zeros = hash ? new Uint8Array(BATCH_PAGES * pageSize) : batch;
  fs.ftruncateSync(fd, image.blobBytes);
  let offset = 0;
  for (const p of image.processes) {
    if (p.blobOffset !== offset) throw new Error(`image ${image.name}: pid ${p.pid} blobOffset ${p.blobOffset}, expected ${offset}`);
    const flags = p.pageFlags;
    let batchStart = 0;
    let batched = 0;
    let zeroRun = 0;
    const flushBatch = () => {
      if (batched === 0) return;
      const bytes = batched * pageSize;
      writeFully(fd, batch, bytes, p.blobOffset + batchStart * pageSize);
      hash?.update(batch.subarray(0, bytes));
      batched = 0;
    };
    const flushZeros = () => {
      while (hash && zeroRun > 0) {
        const n = Math.min(zeroRun, BATCH_PAGES);
        hash.update(zeros.subarray(0, n * pageSize));
        zeroRun -= n;
      }
      zeroRun = 0;
    };
    for (let page = 0; page < p.totalPages; page++) {
      if (flags[page] & PageFlag.Content) {
        flushZeros();
        if (batched === BATCH_PAGES) flushBatch();
        if (batched === 0) batchStart = page;
        image.readPage(p.pid, page, batch.subarray(batched * pageSize, (batched + 1) * pageSize));
        batched++;
      } else {
        flushBatch();
        zeroRun++;
      }
    }
    flushBatch();
    flushZeros();
    offset += p.totalPages * pageSize;
  }
  if (offset !== image.blobBytes) throw new Error(`image ${image.name}: blobBytes ${image.blobBytes}, processes cover ${offset}`);
}
