import { WorkloadContribution } from './workload-contribution';
import { singleProcessWorkload } from './workload-builder';
import { readCommon, workloadSchema } from './workload-params';

export const uniformWorkload: WorkloadContribution = {
  name: 'uniform',
  description: 'uniform random pages',
  params: workloadSchema({}),
  create(params, spec) {
    const common = readCommon(params, 'uniform');
    const pages = common.pages;
    return singleProcessWorkload('uniform', spec, params, common, (out, _phase, rng) => {
      for (let i = 0; i < out.length; i++) out[i] = rng.below(pages);
    });
  },
};
