import { PageFlag } from '../model/image';
import { GeneratedProcess } from './generated-image';
import { permutation, Rng, Stream } from './random';
import { layoutVmas } from './vma-layout';
import { WorkloadContribution } from './workload-contribution';
import { assembleWorkload, buildTrace, contentFlags, PageFiller, ROOT_PID } from './workload-builder';
import { num, readCommon, workloadSchema } from './workload-params';

/** Shared pages are chosen as one contiguous run inside each block of this many linear pages. */
export const SHARED_BLOCK_PAGES = 512;

/**
 * Flags `sharedFraction` of a child's pages SharedWithParent: in every 512-page block, one run of
 * round(sharedFraction * block) pages at a random offset. A shared page has the root's Content bit.
 */
export function markShared(child: Uint8Array, root: Uint8Array, sharedFraction: number, rng: Rng): void {
  for (let b = 0; b < child.length; b += SHARED_BLOCK_PAGES) {
    const len = Math.min(SHARED_BLOCK_PAGES, child.length - b);
    const k = Math.round(sharedFraction * len);
    const from = b + rng.below(len - k + 1);
    for (let i = from; i < from + k; i++) child[i] = PageFlag.SharedWithParent | (root[i] & PageFlag.Content);
  }
}

/** Every process touches each of its pages once, in its own random order, then again. */
const allPagesShuffled =
  (pages: number): PageFiller =>
  (out, _phase, rng) => {
    if (out.length === 0) return;
    const order = permutation(pages, rng);
    for (let i = 0, j = 0; i < out.length; i++) {
      out[i] = order[j];
      if (++j === pages) j = 0;
    }
  };

export const forktreeWorkload: WorkloadContribution = {
  name: 'forktree',
  description: 'a root and forked children sharing most pages COW; every process touches all its pages',
  params: workloadSchema(
    {
      procs: { type: 'integer', default: 4, minimum: 1, maximum: 1024, description: 'processes: pid 1 and children 2..procs forked from it' },
      sharedFraction: { type: 'number', default: 0.75, minimum: 0, maximum: 1, description: "fraction of each child's pages shared with the root" },
    },
    { accesses: 'pages', writeFraction: 0.05 },
  ),
  create(params, spec) {
    const common = readCommon(params, 'forktree');
    const procs = num(params, 'procs');
    const sharedFraction = num(params, 'sharedFraction');
    const vmas = layoutVmas(common.pages, common.vmas);
    const rootFlags = contentFlags(common.pages, common.zeroFraction, Rng.for(common.seed, Stream.Zero, ROOT_PID));
    const processes: GeneratedProcess[] = [{ pid: ROOT_PID, parent: null, vmas, pageFlags: rootFlags }];
    for (let pid = ROOT_PID + 1; pid <= procs; pid++) {
      const flags = contentFlags(common.pages, common.zeroFraction, Rng.for(common.seed, Stream.Zero, pid));
      markShared(flags, rootFlags, sharedFraction, Rng.for(common.seed, Stream.Shared, pid));
      processes.push({ pid, parent: ROOT_PID, vmas, pageFlags: flags });
    }
    const fill = allPagesShuffled(common.pages);
    const traces = processes.map((p) => buildTrace(p.pid, common, fill));
    return assembleWorkload({ name: 'forktree', spec, params, common, processes, traces });
  },
};
