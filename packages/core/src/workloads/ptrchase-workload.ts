import { randomCycle, Rng, Stream } from './random';
import { WorkloadContribution } from './workload-contribution';
import { singleProcessWorkload } from './workload-builder';
import { readCommon, workloadSchema } from './workload-params';

/** Walks one random cycle through every page, from page 0: no spatial locality at all. */
export const ptrchaseWorkload: WorkloadContribution = {
  name: 'ptrchase',
  description: 'pointer chasing: a random cycle through all pages walked from page 0',
  params: workloadSchema({}, { gapNs: 1000 }),
  create(params, spec) {
    const common = readCommon(params, 'ptrchase');
    const next = randomCycle(common.pages, Rng.for(common.seed, Stream.Permutation));
    return singleProcessWorkload('ptrchase', spec, params, common, (out) => {
      let p = 0;
      for (let i = 0; i < out.length; i++) {
        out[i] = p;
        p = next[p];
      }
    });
  },
};
