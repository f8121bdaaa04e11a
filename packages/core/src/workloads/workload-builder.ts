import { PageFlag, VmaImage } from '../model/image';
import { ProcessTrace, Workload } from '../model/workload';
import { StrategyParams } from '../spec/param-schema';
import { GeneratedImage, GeneratedProcess } from './generated-image';
import { Rng, selectExactly, Stream } from './random';
import { VmaLayoutOptions, layoutVmas } from './vma-layout';
import { CommonParams } from './workload-params';

export type TracePhase = 'source' | 'restore';

/**
 * Fills `out` (one entry per access) with linear page indices for one phase. The source phase is
 * drawn from the same distribution as the restore phase, with its own random stream.
 */
export type PageFiller = (out: Uint32Array, phase: TracePhase, rng: Rng) => void;

/** The root pid of generated images. */
export const ROOT_PID = 1;

/** Content flags for `pages` pages with exactly round(zeroFraction * pages) zero pages, chosen at random. */
export function contentFlags(pages: number, zeroFraction: number, rng: Rng): Uint8Array {
  const flags = new Uint8Array(pages).fill(PageFlag.Content);
  selectExactly(pages, Math.round(zeroFraction * pages), rng, (i) => {
    flags[i] = 0;
  });
  return flags;
}

/**
 * One process's full trace: the source phase ([0, sourceAccesses)) then the restore phase.
 * Writes are drawn with probability writeFraction, every gap is gapNs.
 */
export function buildTrace(pid: number, common: CommonParams, fill: PageFiller): ProcessTrace {
  const src = common.sourceAccesses;
  const n = src + common.accesses;
  const page = new Uint32Array(n);
  fill(page.subarray(0, src), 'source', Rng.for(common.seed, Stream.SourcePages, pid));
  fill(page.subarray(src), 'restore', Rng.for(common.seed, Stream.Pages, pid));
  const write = new Uint8Array(n);
  const wf = common.writeFraction;
  if (wf > 0) {
    const rng = Rng.for(common.seed, Stream.Writes, pid);
    for (let i = 0; i < n; i++) write[i] = rng.float() < wf ? 1 : 0;
  }
  const gapNs = new Uint32Array(n).fill(common.gapNs);
  return { pid, page, write, gapNs, migrateAt: src };
}

export interface WorkloadParts {
  readonly name: string;
  readonly spec: string;
  readonly params: StrategyParams;
  readonly common: CommonParams;
  readonly processes: readonly GeneratedProcess[];
  readonly traces: readonly ProcessTrace[];
}

export function assembleWorkload(parts: WorkloadParts): Workload {
  const image = new GeneratedImage(parts.spec, parts.common.seed, parts.processes);
  return { spec: parts.spec, name: parts.name, params: parts.params, image, traces: parts.traces };
}

/** The usual shape: one process (pid 1), the common VMA layout, content flags from zeroFraction. */
export function singleProcessWorkload(
  name: string,
  spec: string,
  params: StrategyParams,
  common: CommonParams,
  fill: PageFiller,
  layout: VmaLayoutOptions = {},
): Workload {
  const vmas: VmaImage[] = layoutVmas(common.pages, common.vmas, layout);
  const pageFlags = contentFlags(common.pages, common.zeroFraction, Rng.for(common.seed, Stream.Zero, ROOT_PID));
  return assembleWorkload({
    name,
    spec,
    params,
    common,
    processes: [{ pid: ROOT_PID, parent: null, vmas, pageFlags }],
    traces: [buildTrace(ROOT_PID, common, fill)],
  });
}
