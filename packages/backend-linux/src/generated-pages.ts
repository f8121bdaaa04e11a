import * as fs from 'fs';
import { GeneratedImage, GeneratedPagesWriter, PageFlag } from '@restorelab/core';
import { NativeBinding } from './native-binding';

/** Runs handed to the native side per call (32 bytes each). */
const RUNS_PER_CALL = 1 << 16;

/**
 * Writes a generated image's pages blob into fd natively: the same file as core's writePagesBlob
 * (blobBytes long, content pages as GeneratedImage.readPage computes them, zero pages left as
 * holes). A page shared with its parent has its ancestor's content, as readPage resolves it.
 */
export function writeGeneratedPages(binding: NativeBinding, image: GeneratedImage, fd: number): void {
  fs.ftruncateSync(fd, image.blobBytes);
  const byPid = new Map(image.processes.map((p) => [p.pid, p]));
  const runs = new Float64Array(4 * RUNS_PER_CALL);
  let n = 0;
  const flush = () => {
    if (n > 0) binding.writePageContent(fd, image.seed, runs.subarray(0, 4 * n));
    n = 0;
    open = false;
  };
  // whether the last run may still grow
  let open = false;
  const add = (offset: number, pid: number, page: number) => {
    const last = 4 * (n - 1);
    if (open && runs[last + 1] === pid && runs[last + 2] + runs[last + 3] === page && runs[last] + runs[last + 3] * image.pageSize === offset) {
      runs[last + 3]++;
      return;
    }
    if (n === RUNS_PER_CALL) flush();
    runs.set([offset, pid, page, 1], 4 * n);
    n++;
    open = true;
  };
  for (const p of image.processes) {
    for (let page = 0; page < p.totalPages; page++) {
      let flags = p.pageFlags[page];
      if (!(flags & PageFlag.Content)) {
        open = false;
        continue;
      }
      let owner = p;
      while (flags & PageFlag.SharedWithParent && owner.parent !== null) {
        const parent = byPid.get(owner.parent)!;
        if (page >= parent.totalPages) break;
        owner = parent;
        flags = owner.pageFlags[page];
      }
      add(p.blobOffset + page * image.pageSize, owner.pid, page);
    }
    open = false;
  }
  flush();
}

/** writeGeneratedPages with this binding, as the pages cache and the run files take a writer. */
export function nativePagesWriter(binding: NativeBinding): GeneratedPagesWriter {
  return (image, fd) => writeGeneratedPages(binding, image, fd);
}
