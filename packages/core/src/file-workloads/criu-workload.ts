import { UsageError } from '../errors/usage-error';
import { CriuDumpImage, readCriuDump } from '../criu/criu-dump';
import { ProcessTrace, Workload } from '../model/workload';
import { readTrace } from '../trace/read-trace';
import { emptyTrace, tracesForImage } from '../trace/trace-mapping';
import { WorkloadContribution } from '../workloads/workload-contribution';
import { num, str } from '../workloads/workload-params';

/** A `criu dump` directory restored in our own runner (or simulated): its processes' private anonymous memory. */
export const criuWorkload: WorkloadContribution = {
  name: 'criu',
  description: "a criu dump directory's memory (every process with memory, or pid=), with the trace= given; no trace: no accesses",
  kind: 'file',
  positional: 'dir',
  params: {
    dir: { type: 'string', default: '', description: 'the criu dump directory (inventory.img, pstree.img, mm-PID.img, pagemap-PID.img, pages-ID.img)' },
    pid: { type: 'integer', default: 0, minimum: 0, maximum: 4194304, description: 'the one process of the dump to restore (0: all of them)' },
    trace: { type: 'string', default: '', description: "a trace of the dump's processes (trace import, run --record-trace)" },
  },
  create(params, spec) {
    const dir = str(params, 'dir');
    if (dir === '') throw new UsageError('workload criu needs a dump directory: criu:DIR or criu:dir=DIR');
    const pid = num(params, 'pid');
    return criuDumpWorkload(dir, { pid: pid > 0 ? pid : undefined, trace: str(params, 'trace') || undefined }, spec);
  },
};

/** The workload of a criu dump directory: its processes' memory, and the trace given (else no accesses). */
export function criuDumpWorkload(dir: string, opts: { readonly pid?: number; readonly trace?: string } = {}, spec = `criu:dir=${dir}`): Workload & { readonly image: CriuDumpImage } {
  const image = readCriuDump(dir, opts.pid !== undefined ? { pid: opts.pid } : {});
  const traces: ProcessTrace[] = opts.trace === undefined ? image.processes.map((p) => emptyTrace(p.pid)) : tracesForImage(readTrace(opts.trace), image);
  return { spec, name: 'criu', params: { dir, pid: opts.pid ?? 0, trace: opts.trace ?? '' }, image, traces };
}
