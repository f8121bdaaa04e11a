import * as os from 'os';
import { UsageError } from '../errors/usage-error';
import { IMAGE_LIMITS } from '../model/image-limits';
import { PAGE_SIZE } from '../model/page';
import { StrategyParams } from '../spec/param-schema';
import { readCommon } from './workload-params';
import { formatBytes } from '../io/format-bytes';

/** What a workload will hold once built, worked out from its parameters alone. */
export interface WorkloadSize {
  readonly processes: number;
  /** Pages of all processes. */
  readonly pages: number;
  /** Trace entries of all processes, both phases. */
  readonly accesses: number;
  /** Bytes of page contents (what a pages file holds outside its holes). */
  readonly contentBytes: number;
}

/**
 * Bytes a run holds per page (flags, page state, the simulator's process), per trace entry, and
 * per event (the store's record, the metrics' latencies): measured, a demand-only run of 2^20
 * pages peaks at ~400 bytes per faulted page.
 */
const BYTES_PER_PAGE = 16;
const BYTES_PER_ACCESS = 9;
const BYTES_PER_EVENT = 96;
/** Events a restore logs per page it faults or copies: raised, resolved, copied, with room to spare. */
const EVENTS_PER_PAGE = 5;
const FIXED_EVENTS = 4096;

/** The size of a workload built from the common parameters; `procs` processes if it has them. */
export function commonWorkloadSize(params: StrategyParams, owner: string): WorkloadSize {
  const c = readCommon(params, owner);
  const processes = typeof params.procs === 'number' ? params.procs : 1;
  return {
    processes,
    pages: processes * c.pages,
    accesses: processes * (c.accesses + c.sourceAccesses),
    contentBytes: Math.ceil(processes * c.pages * (1 - c.zeroFraction)) * PAGE_SIZE,
  };
}

/** An upper estimate of the events a restore of this workload logs (and the store holds). */
export function expectedEvents(size: Pick<WorkloadSize, 'pages' | 'accesses'>): number {
  return EVENTS_PER_PAGE * Math.min(size.pages, size.accesses) + FIXED_EVENTS;
}

export function expectedLogBytes(size: Pick<WorkloadSize, 'pages' | 'accesses'>): number {
  return expectedEvents(size) * BYTES_PER_EVENT;
}

/** Memory a run of this workload needs in this process, before any backend's own. */
export function workloadMemoryBytes(size: WorkloadSize): number {
  return size.pages * BYTES_PER_PAGE + size.accesses * BYTES_PER_ACCESS + expectedEvents(size) * BYTES_PER_EVENT;
}

/**
 * Refuses, with the figure and the limit, a workload that could not be held: more pages than an
 * image may have, or more memory than the machine has available now.
 */
export function checkWorkloadFits(size: WorkloadSize, what: string, available = os.freemem()): void {
  if (size.pages > IMAGE_LIMITS.maxTotalPages) {
    throw new UsageError(`${what}: ${size.pages} pages (${formatBytes(size.pages * PAGE_SIZE)}) in all, more than an image may have (${IMAGE_LIMITS.maxTotalPages} pages, ${formatBytes(IMAGE_LIMITS.maxTotalPages * PAGE_SIZE)})`);
  }
  const need = workloadMemoryBytes(size);
  if (need > available) {
    throw new UsageError(`${what}: needs about ${formatBytes(need)} of memory (${size.pages} pages, ${size.accesses} accesses), ${formatBytes(available)} is available`);
  }
}
