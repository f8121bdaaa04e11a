import { WorkloadContribution } from './workload-contribution';
import { singleProcessWorkload } from './workload-builder';
import { readCommon, workloadSchema } from './workload-params';

/** Pages in address order from page 0, wrapping; each phase starts over at page 0. */
export const seqWorkload: WorkloadContribution = {
  name: 'seq',
  description: 'sequential: every page in address order, wrapping around',
  params: workloadSchema({}, { accesses: 'pages' }),
  create(params, spec) {
    const common = readCommon(params, 'seq');
    const pages = common.pages;
    return singleProcessWorkload('seq', spec, params, common, (out) => {
      let p = 0;
      for (let i = 0; i < out.length; i++) {
        out[i] = p;
        if (++p === pages) p = 0;
      }
    });
  },
};
