import { WorkloadContribution } from './workload-contribution';
import { singleProcessWorkload } from './workload-builder';
import { num, readCommon, workloadSchema } from './workload-params';

/** 0, s, 2s, ... then 1, 1+s, ... : one sweep of `stride` passes touches every page once. */
export const strideWorkload: WorkloadContribution = {
  name: 'stride',
  description: 'strided: p, p+stride, ... wrapping to the next offset',
  params: workloadSchema({
    stride: { type: 'integer', default: 8, minimum: 1, maximum: 1 << 26, description: 'distance between consecutive accesses, pages' },
  }),
  create(params, spec) {
    const common = readCommon(params, 'stride');
    const pages = common.pages;
    const stride = num(params, 'stride');
    const passes = Math.min(stride, pages);
    return singleProcessWorkload('stride', spec, params, common, (out) => {
      let offset = 0;
      let p = 0;
      for (let i = 0; i < out.length; i++) {
        out[i] = p;
        p += stride;
        if (p >= pages) {
          if (++offset === passes) offset = 0;
          p = offset;
        }
      }
    });
  },
};
