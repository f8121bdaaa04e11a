/**
 * hot-first-precopy — Pavel Emelyanov's counter-proposal in seed 000 ("transfer the most accessible
 * pages in advance, then migrate, then pull the least accessible pages via uffd"); the same idea as
 * REAP (record-and-prefetch, ASPLOS 2021) and FaaSnap for serverless snapshots.
 *
 * At plan time, pages are ranked by a profile and the top `budget` of them are precopied (after
 * uffd registration, before the workload runs), coalesced into ranges; everything else stays lazy.
 * The profile is either the source-side phase of the workload (the accesses before the migrate
 * marker: what a profiler on the source saw), the event log of a previous run (its FaultRaised
 * events are the recorded working set, REAP), or a trace (run --record-trace: the faults, then the
 * pages touched without a fault; or any trace of the image's processes). Record with demand-only so
 * every touched page faults once; in one log a page faults at most once, so there `hotness` and
 * `first-access` nearly agree.
 * Pages pre-dumped in the image are never chosen (they are present already).
 *
 * Params:
 *   budget   pages to precopy if >= 1, else a fraction of the lazy pages (default 0.25)
 *   order    hotness (most accesses first, ties by first access) | first-access (default hotness)
 *   profile  source, or the path of a previous run's event log or of a trace (default source)
 */
import {
  defineStrategy,
  EventKind,
  Image,
  PageFlag,
  PAGE_SIZE,
  PlanContext,
  readEventLog,
  readTrace,
  Strategy,
  TRACE_MAGIC,
  TraceData,
  UsageError,
  vmaOfAddressPage,
} from '@restorelab/core';
import * as fs from 'fs';
import { BuiltInStrategy } from '../support/built-in-strategy';
import { PageMask } from '../support/page-mask';

export type HotFirstOrder = 'hotness' | 'first-access';

/** Page accesses as (pid, page) in the order they were seen. */
export interface RecordedAccesses {
  readonly pid: Int32Array;
  readonly page: Float64Array;
}

/** A recorded profile: a log's faults (linear pages), or a trace (addresses, mapped onto the image at plan time). */
export type RecordedProfile = RecordedAccesses | TraceData;

/** How often and how early each page of each process was seen. */
class AccessProfile {
  private readonly count = new Map<number, Uint32Array>();
  private readonly first = new Map<number, Float64Array>();
  private seen = 0;

  constructor(private readonly image: Image) {
    for (const p of image.processes) {
      this.count.set(p.pid, new Uint32Array(p.totalPages));
      this.first.set(p.pid, new Float64Array(p.totalPages).fill(Infinity));
    }
  }

  /** Ignores pids and pages the image does not have (a log of another image's run). */
  record(pid: number, page: number): void {
    const count = this.count.get(pid);
    if (!count || !(page >= 0 && page < count.length)) return;
    if (count[page]++ === 0) this.first.get(pid)![page] = this.seen;
    this.seen++;
  }

  /** Pages seen at least once and still lazy at plan time, best first. */
  ranked(order: HotFirstOrder): { pid: number; page: number }[] {
    const out: { pid: number; page: number; count: number; first: number }[] = [];
    for (const p of this.image.processes) {
      const count = this.count.get(p.pid)!;
      const first = this.first.get(p.pid)!;
      for (let page = 0; page < p.totalPages; page++) {
        if (count[page] > 0 && !(p.pageFlags[page] & PageFlag.Precopied))
          out.push({ pid: p.pid, page, count: count[page], first: first[page] });
      }
    }
    if (order === 'hotness') out.sort((x, y) => y.count - x.count || x.first - y.first);
    else out.sort((x, y) => x.first - y.first);
    return out;
  }
}

export class HotFirstPrecopy implements Strategy {
  /**
   * @param budget pages if >= 1, else a fraction of the lazy pages
   * @param recorded a previous run's faults; undefined: profile the workload's source phase
   */
  constructor(
    readonly budget: number,
    readonly order: HotFirstOrder,
    private readonly recorded?: RecordedProfile,
  ) {}

  plan(ctx: PlanContext): void {
    const profile = new AccessProfile(ctx.image);
    if (this.recorded && 'processes' in this.recorded) {
      recordTrace(profile, this.recorded, ctx.image);
    } else if (this.recorded) {
      const { pid, page } = this.recorded;
      for (let i = 0; i < pid.length; i++) profile.record(pid[i], page[i]);
    } else {
      for (const p of ctx.image.processes) {
        const source = ctx.sourcePhase(p.pid).page;
        for (let i = 0; i < source.length; i++) profile.record(p.pid, source[i]);
      }
    }
    const chosen = profile.ranked(this.order).slice(0, this.budgetPages(ctx.image));
    const mask = new PageMask(ctx.image);
    for (const c of chosen) mask.add(c.pid, c.page);
    for (const range of mask.ranges()) ctx.precopy(range);
  }

  private budgetPages(image: Image): number {
    if (this.budget >= 1) return Math.floor(this.budget);
    let lazy = 0;
    for (const p of image.processes) {
      for (let i = 0; i < p.totalPages; i++) if (!(p.pageFlags[i] & PageFlag.Precopied)) lazy++;
    }
    return Math.floor(this.budget * lazy);
  }
}

/** A trace's accesses in the profile, in trace order; addresses the image's processes do not map are left out. */
function recordTrace(profile: AccessProfile, trace: TraceData, image: Image): void {
  for (const t of trace.processes) {
    const proc = image.processes.find((p) => p.pid === t.pid);
    if (!proc) continue;
    for (let i = 0; i < t.page.length; i++) {
      const v = vmaOfAddressPage(proc.vmas, t.page[i]);
      if (v) profile.record(t.pid, v.firstPage + (t.page[i] - v.start / PAGE_SIZE));
    }
  }
}

/** A trace (by its magic) or an event log. Throws UsageError for an unreadable file. */
export function recordedProfile(file: string): RecordedProfile {
  let magic = '';
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const b = Buffer.alloc(4);
      if (fs.fstatSync(fd).isFile()) magic = b.subarray(0, fs.readSync(fd, b, 0, 4, 0)).toString('latin1');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // the readers below say why
  }
  return magic === TRACE_MAGIC ? readTrace(file) : recordedFaults(file);
}

/** The FaultRaised events of a run's log, in log order. Throws UsageError for an unreadable log. */
export function recordedFaults(logPath: string): RecordedAccesses {
  const { store } = readEventLog(logPath);
  const pids: number[] = [];
  const pages: number[] = [];
  for (let i = 0; i < store.length; i++) {
    if (store.kind[i] !== EventKind.FaultRaised) continue;
    pids.push(store.pid[i]);
    pages.push(store.a[i]);
  }
  return { pid: Int32Array.from(pids), page: Float64Array.from(pages) };
}

const NAME = 'hot-first-precopy';

export const hotFirstPrecopy: BuiltInStrategy = defineStrategy({
  name: NAME,
  description: 'precopy the hottest pages first, the rest on demand (seed 000; REAP, FaaSnap)',
  params: {
    budget: {
      type: 'number',
      default: 0.25,
      minimum: 0,
      maximum: 2 ** 31,
      description: 'pages to precopy if >= 1, else a fraction of the lazy pages',
    },
    order: {
      type: 'string',
      default: 'hotness',
      enum: ['hotness', 'first-access'],
      description: 'hotness: most accessed first; first-access: earliest first',
    },
    profile: {
      type: 'string',
      default: 'source',
      description: "'source' (the workload's source-side phase), or the path of a previous run's event log or of a trace (run --record-trace)",
    },
  },
  deterministic: true,
  create({ budget, order, profile }) {
    let recorded: RecordedProfile | undefined;
    if (profile !== 'source') {
      try {
        recorded = recordedProfile(profile);
      } catch (e) {
        throw new UsageError(`strategy ${NAME}: parameter 'profile': ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return new HotFirstPrecopy(budget, order, recorded);
  },
});
