import { CopyCause, EventKind } from '../events/event-kind';
import { PAGE_SIZE } from '../model/page';
import { EventStore } from '../events/event-store';
import { ProfilePhase } from './run-profile';

/** Copy bandwidth of `pages` 4 KiB pages in `ns` (0 for no time). */
export function pagesGBps(pages: number, ns: number): number {
  return ns > 0 ? (pages * PAGE_SIZE) / ns : 0;
}

/**
 * Where a restore's time went, from the log's own timestamps: runner start to the last VMA
 * registered, registration to the last precopy copy (the copy phase of an eager or precopy
 * strategy), then to the workload's start, the workload, its end to the last verification, and
 * the teardown to RestoreEnded. A phase the run did not have is left out.
 */
export function restorePhases(store: EventStore): ProfilePhase[] {
  const { kind, t, b, c, d } = store;
  let registered = NaN;
  let precopyEnd = NaN;
  let precopyPages = 0;
  let precopyCalls = 0;
  let workloadStart = NaN;
  let workloadEnd = NaN;
  let verified = NaN;
  let ended = NaN;
  for (let i = 0; i < store.length; i++) {
    switch (kind[i]) {
      case EventKind.VmaRegistered:
        if (Number.isNaN(workloadStart)) registered = t[i];
        break;
      case EventKind.PagesCopied:
        if (c[i] === CopyCause.Precopy) {
          precopyEnd = t[i];
          precopyPages += b[i];
          precopyCalls += d[i];
        }
        break;
      case EventKind.WorkloadStarted:
        if (Number.isNaN(workloadStart)) workloadStart = t[i];
        break;
      case EventKind.WorkloadEnded:
        workloadEnd = t[i];
        break;
      case EventKind.PagesVerified:
        verified = t[i];
        break;
      case EventKind.RestoreEnded:
        ended = t[i];
        break;
      default:
        break;
    }
  }
  const out: ProfilePhase[] = [];
  const ms = (ns: number) => ns / 1e6;
  const span = (name: string, from: number, to: number, note?: string) => {
    if (Number.isNaN(from) || Number.isNaN(to) || to < from) return;
    out.push(note === undefined ? { name, ms: ms(to - from) } : { name, ms: ms(to - from), note });
  };
  span('runner start and registration', 0, registered);
  if (precopyPages > 0) {
    span('precopy', registered, precopyEnd, `${precopyPages} pages in ${precopyCalls} copy calls, ${pagesGBps(precopyPages, precopyEnd - registered).toFixed(2)} GB/s`);
    span('until the workload starts', precopyEnd, workloadStart);
  } else {
    span('until the workload starts', registered, workloadStart);
  }
  span('workload', workloadStart, workloadEnd);
  span('verification', workloadEnd, verified);
  span('teardown', Number.isNaN(verified) ? workloadEnd : verified, ended);
  return out;
}
