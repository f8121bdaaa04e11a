import { UsageError } from '../errors/usage-error';
import { readImage } from '../image/image-files';
import { readTrace } from '../trace/read-trace';
import { imageFromTrace, SYNTH_MAX_HOLE_PAGES } from '../trace/trace-image';
import { checkForksBeforeMigrate, linearTrace, tracesForImage } from '../trace/trace-mapping';
import { WorkloadContribution } from '../workloads/workload-contribution';
import { num, str } from '../workloads/workload-params';

export const traceWorkload: WorkloadContribution = {
  name: 'trace',
  description: 'a recorded trace (trace import, run --record-trace), on its image= or on one synthesised from the pages it touches',
  kind: 'file',
  positional: 'file',
  params: {
    file: { type: 'string', default: '', description: 'the trace file (.rltrace)' },
    image: { type: 'string', default: '', description: 'an image directory the trace is of (default: synthesise one)' },
    maxHole: {
      type: 'integer',
      default: SYNTH_MAX_HOLE_PAGES,
      minimum: 0,
      maximum: 1 << 20,
      description: 'synthesised image: untouched pages between two touched ones that stay in one VMA',
    },
    seed: { type: 'integer', default: 1, minimum: 0, maximum: 0xffffffff, description: "synthesised image: the seed of its pages' contents" },
  },
  create(params, spec) {
    const file = str(params, 'file');
    if (file === '') throw new UsageError('workload trace needs a file: trace:FILE or trace:file=FILE');
    const trace = readTrace(file);
    const imageDir = str(params, 'image');
    if (imageDir !== '') {
      const image = readImage(imageDir);
      image.close();
      return { spec, name: 'trace', params, image, traces: tracesForImage(trace, image) };
    }
    checkForksBeforeMigrate(trace);
    const image = imageFromTrace(trace, spec, num(params, 'seed'), num(params, 'maxHole'));
    const traces = trace.processes.map((t, i) => linearTrace(t, image.processes[i], `trace ${file}`));
    return { spec, name: 'trace', params, image, traces };
  },
};
