import { Image, ImageFiles, PAGE_SIZE, ProcessImage, readFullyAt, vmaOfPage } from '@restorelab/core';

/** The image of one process whose pages are read from an fd, page p at offsetOf(p). */
export class FdImage implements Image {
  readonly pageSize = PAGE_SIZE;
  readonly processes: readonly ProcessImage[];
  readonly blobBytes: number;
  constructor(
    readonly name: string,
    proc: ProcessImage,
    private readonly fd: number,
    private readonly offsetOf: (page: number) => number,
  ) {
    this.processes = [proc];
    this.blobBytes = proc.totalPages * PAGE_SIZE;
  }

  readPage(_pid: number, page: number, dst: Uint8Array): void {
    if (!vmaOfPage(this.processes[0], page)) throw new Error(`${this.name} has no page ${page}`);
    const at = this.offsetOf(page);
    const got = readFullyAt(this.fd, dst, PAGE_SIZE, at);
    if (got < PAGE_SIZE) throw new Error(`${this.name}: short read at 0x${(at + got).toString(16)}`);
  }
}

/** What capture and snapshot both report of the image they wrote of a process. */
export interface ProcessImageWritten {
  readonly files: ImageFiles;
  readonly image: Image;
  /** The process's command name. */
  readonly command: string;
  readonly vmas: number;
  readonly pages: number;
  readonly contentPages: number;
  /** Pages never touched (not present, not swapped): zero without being read. */
  readonly untouchedPages: number;
  /** The process was stopped before (and is left so). */
  readonly wasStopped: boolean;
}
