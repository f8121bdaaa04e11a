import { UsageError } from '../errors/usage-error';
import { Image, ProcessImage, VmaImage, vmaOfAddressPage, vmaOfPage } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { ProcessTrace, Workload } from '../model/workload';
import { TraceData, TraceProcess } from './read-trace';
import { TraceWriter } from './trace-writer';

/** A process's accesses as the model has them: linear pages of `proc`. Throws UsageError for an access outside its VMAs. */
export function linearTrace(t: TraceProcess, proc: ProcessImage, where: string): ProcessTrace {
  const n = t.page.length;
  const page = new Uint32Array(n);
  let v: VmaImage | undefined;
  let first = 0;
  for (let i = 0; i < n; i++) {
    const vpn = t.page[i];
    if (v === undefined || vpn < first || vpn >= first + v.pages) {
      v = vmaOfAddressPage(proc.vmas, vpn);
      if (!v) throw new UsageError(`${where}: access ${i} of process ${t.pid} is at 0x${(vpn * PAGE_SIZE).toString(16)}, outside the image's VMAs`);
      first = v.start / PAGE_SIZE;
    }
    page[i] = v.firstPage + (vpn - first);
  }
  return { pid: t.pid, page, write: t.write, gapNs: t.gapNs, migrateAt: t.migrateAt };
}

/**
 * The trace of every process of `image`, from `trace` (UsageError when the two do not belong
 * together); a process the trace does not have gets no accesses.
 */
export function tracesForImage(trace: TraceData, image: Image): ProcessTrace[] {
  const where = `trace ${trace.file}`;
  const byPid = new Map(trace.processes.map((p) => [p.pid, p]));
  for (const t of trace.processes) {
    const p = image.processes.find((x) => x.pid === t.pid);
    if (!p) throw new UsageError(`${where}: process ${t.pid} is not in image ${image.name} (pids ${image.processes.map((x) => x.pid).join(', ')})`);
    if (t.parent !== p.parent) throw new UsageError(`${where}: process ${t.pid} has parent ${t.parent ?? 'none'}, in the image ${p.parent ?? 'none'}`);
  }
  checkForksBeforeMigrate(trace);
  return image.processes.map((p) => {
    const t = byPid.get(p.pid);
    return t ? linearTrace(t, p, where) : emptyTrace(p.pid);
  });
}

/** restorelab restores the processes that exist at the switch-over: each fork must come before its parent's migrate marker. */
export function checkForksBeforeMigrate(trace: TraceData): void {
  const byPid = new Map(trace.processes.map((p) => [p.pid, p]));
  for (const t of trace.processes) {
    if (t.parent === null) continue;
    const parent = byPid.get(t.parent)!;
    if (t.forkAt > parent.migrateAt)
      throw new UsageError(
        `trace ${trace.file}: process ${t.pid} is forked at access ${t.forkAt} of ${t.parent}, after its migrate marker (${parent.migrateAt}); a restore starts from the processes that exist at the switch-over`,
      );
  }
}

export function emptyTrace(pid: number): ProcessTrace {
  return { pid, page: new Uint32Array(0), write: new Uint8Array(0), gapNs: new Uint32Array(0), migrateAt: 0 };
}

/** Writes a workload's traces as a trace file: linear pages become the addresses the image gives them. */
export function writeWorkloadTrace(workload: Workload, file: string): void {
  const w = new TraceWriter(file, { name: workload.spec, pageSize: workload.image.pageSize });
  try {
    workload.image.processes.forEach((p, i) => {
      // generated fork trees fork every child before the restore: at the parent's migrate marker
      const parentTrace = p.parent === null ? undefined : workload.traces[workload.image.processes.findIndex((x) => x.pid === p.parent)];
      w.process(p.pid, p.parent, parentTrace ? parentTrace.migrateAt : 0);
      writeProcessAccesses(w, p, workload.traces[i]);
    });
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
}

function writeProcessAccesses(w: TraceWriter, p: ProcessImage, t: ProcessTrace): void {
  const vpnOf = linearToVpn(p);
  for (let i = 0; i < t.page.length; i++) {
    if (i === t.migrateAt && i > 0) w.migrate(p.pid, i);
    w.access(p.pid, vpnOf(t.page[i]), t.write[i] === 1, t.gapNs[i]);
  }
  if (t.migrateAt === t.page.length && t.migrateAt > 0) w.migrate(p.pid, t.migrateAt);
}

/** linear page -> virtual page number for one process (the last VMA found is tried first). */
export function linearToVpn(p: ProcessImage): (page: number) => number {
  let v = p.vmas[0];
  return (page) => {
    if (page < v.firstPage || page >= v.firstPage + v.pages) v = vmaOfPage(p, page) ?? v;
    return v.start / PAGE_SIZE + (page - v.firstPage);
  };
}
