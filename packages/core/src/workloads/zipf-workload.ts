import { permutation, Rng, Stream } from './random';
import { WorkloadContribution } from './workload-contribution';
import { singleProcessWorkload } from './workload-builder';
import { num, readCommon, workloadSchema } from './workload-params';

const MAX_GUIDE = 1 << 20;

/**
 * Draws ranks 0..n-1 with P(k) proportional to 1/(k+1)^theta: a cumulative table, and a guide
 * table (Chen and Asau) that narrows each draw to a binary search over a few entries.
 */
export class ZipfSampler {
  private readonly cdf: Float64Array;
  private readonly total: number;
  /** guide[b]: the smallest rank whose cumulative weight exceeds (b / guideSize) * total. */
  private readonly guide: Uint32Array;
  private readonly guideSize: number;

  constructor(
    readonly n: number,
    readonly theta: number,
  ) {
    const cdf = (this.cdf = new Float64Array(n));
    let sum = 0;
    for (let k = 0; k < n; k++) {
      sum += Math.pow(k + 1, -theta);
      cdf[k] = sum;
    }
    this.total = sum;
    let g = 1;
    while (g < n && g < MAX_GUIDE) g *= 2;
    this.guideSize = g;
    this.guide = new Uint32Array(g + 1);
    let k = 0;
    for (let b = 0; b < g; b++) {
      const bound = (b / g) * sum;
      while (k < n - 1 && cdf[k] <= bound) k++;
      this.guide[b] = k;
    }
    this.guide[g] = n - 1;
  }

  sample(rng: Rng): number {
    const r = rng.float();
    const u = r * this.total;
    const b = Math.floor(r * this.guideSize);
    const cdf = this.cdf;
    let lo = this.guide[b];
    let hi = this.guide[b + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Zipf over a random permutation of the pages: hot pages are scattered over the address space. */
export const zipfWorkload: WorkloadContribution = {
  name: 'zipf',
  description: 'zipf-distributed pages (theta), hot pages scattered at random',
  params: workloadSchema({
    theta: { type: 'number', default: 0.99, minimum: 0, maximum: 10, description: 'skew: 0 is uniform, higher is hotter' },
  }),
  create(params, spec) {
    const common = readCommon(params, 'zipf');
    const sampler = new ZipfSampler(common.pages, num(params, 'theta'));
    const rankToPage = permutation(common.pages, Rng.for(common.seed, Stream.Permutation));
    return singleProcessWorkload('zipf', spec, params, common, (out, _phase, rng) => {
      for (let i = 0; i < out.length; i++) out[i] = rankToPage[sampler.sample(rng)];
    });
  },
};
