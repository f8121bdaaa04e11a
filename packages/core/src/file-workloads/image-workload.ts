import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../errors/usage-error';
import { readImage } from '../image/image-files';
import { ProcessTrace } from '../model/workload';
import { readTrace } from '../trace/read-trace';
import { emptyTrace, tracesForImage } from '../trace/trace-mapping';
import { WorkloadContribution } from '../workloads/workload-contribution';
import { str } from '../workloads/workload-params';

/** The trace `image --out` writes beside a workload's image, and `image:DIR` replays when no trace= is given. */
export const IMAGE_TRACE_FILE = 'trace.rltrace';

export const imageWorkload: WorkloadContribution = {
  name: 'image',
  description: `an image directory (image --out, image capture), with its ${IMAGE_TRACE_FILE} or the trace= given; no trace: no accesses`,
  kind: 'file',
  positional: 'dir',
  params: {
    dir: { type: 'string', default: '', description: 'the image directory (manifest.json, pages.bin)' },
    trace: { type: 'string', default: '', description: `a trace of the image's processes (default: DIR/${IMAGE_TRACE_FILE} if there is one)` },
    checksum: { type: 'boolean', default: true, description: "check the pages blob's SHA-256 before the run" },
  },
  create(params, spec) {
    const dir = str(params, 'dir');
    if (dir === '') throw new UsageError('workload image needs a directory: image:DIR or image:dir=DIR');
    // the manifest and page flags stay; the blob is opened again only where its pages are read
    const image = readImage(dir, { verifyChecksum: params.checksum !== false });
    image.close();
    let traceFile = str(params, 'trace');
    if (traceFile === '' && fs.existsSync(path.join(dir, IMAGE_TRACE_FILE))) traceFile = path.join(dir, IMAGE_TRACE_FILE);
    const traces: ProcessTrace[] = traceFile === '' ? image.processes.map((p) => emptyTrace(p.pid)) : tracesForImage(readTrace(traceFile), image);
    return { spec, name: 'image', params, image, traces };
  },
};
