import { EventKind, FaultFlag } from '../events/event-kind';
import { EventStore } from '../events/event-store';
import { Image, PageFlag } from '../model/image';
import { linearToVpn } from './trace-mapping';
import { TraceWriter } from './trace-writer';

export interface RecordedTraceCounts {
  readonly faults: number;
  /** Pages the workload touched that never faulted (precopied or prefetched in time). */
  readonly touchedWithoutFault: number;
}

/**
 * What a run did, as a trace (run --record-trace): per process, its faults in the order they were
 * raised (writes as the fault said, gaps the time between faults), then the pages the workload
 * touched without faulting, in address order with no gap. As a trace it replays the run's fault
 * order; as a profile (hot-first-precopy:profile=FILE) its pages are the working set the run touched.
 */
export function writeRecordedTrace(store: EventStore, image: Image, file: string, name: string): RecordedTraceCounts {
  const faulted = new Map<number, Uint8Array>();
  const touched = new Map<number, Uint8Array>();
  for (const p of image.processes) {
    faulted.set(p.pid, new Uint8Array(p.totalPages));
    touched.set(p.pid, new Uint8Array(p.totalPages));
  }
  const w = new TraceWriter(file, { name, pageSize: image.pageSize });
  let faults = 0;
  let extra = 0;
  try {
    const vpn = new Map(image.processes.map((p) => [p.pid, linearToVpn(p)]));
    for (const p of image.processes) w.process(p.pid, p.parent, 0);
    const lastT = new Map<number, number>();
    for (let i = 0; i < store.length; i++) {
      const kind = store.kind[i];
      const pid = store.pid[i];
      if (kind === EventKind.FaultRaised) {
        const f = faulted.get(pid);
        const page = store.a[i];
        if (!f || !(page >= 0 && page < f.length)) continue;
        f[page] = 1;
        const t = store.t[i];
        const gap = lastT.has(pid) ? Math.max(0, Math.min(0xffffffff, Math.round(t - lastT.get(pid)!))) : 0;
        lastT.set(pid, t);
        w.access(pid, vpn.get(pid)!(page), (store.c[i] & FaultFlag.Write) !== 0, gap);
        faults++;
      } else if (kind === EventKind.PagesTouched) {
        const m = touched.get(pid);
        if (!m) continue;
        const from = Math.max(0, store.a[i]);
        const to = Math.min(m.length, store.a[i] + store.b[i]);
        for (let pg = from; pg < to; pg++) m[pg] = 1;
      }
    }
    for (const p of image.processes) {
      const f = faulted.get(p.pid)!;
      const m = touched.get(p.pid)!;
      const toVpn = vpn.get(p.pid)!;
      for (let pg = 0; pg < m.length; pg++) {
        if (m[pg] && !f[pg] && !(p.pageFlags[pg] & PageFlag.Precopied)) {
          w.access(p.pid, toVpn(pg), false, 0);
          extra++;
        }
      }
    }
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
  return { faults, touchedWithoutFault: extra };
}
