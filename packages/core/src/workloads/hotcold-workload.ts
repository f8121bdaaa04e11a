import { permutation, Rng, Stream } from './random';
import { WorkloadContribution } from './workload-contribution';
import { singleProcessWorkload } from './workload-builder';
import { num, readCommon, workloadSchema } from './workload-params';

/**
 * The hot set of each phase as a window of one random permutation of the pages: phase k's hot
 * pages are order[start(k), start(k)+hot), the cold pages are the rest. Consecutive phases take
 * disjoint windows while they fit, so the hot set really moves.
 */
export class HotColdSets {
  readonly hot: number;
  private readonly order: Uint32Array;
  constructor(
    readonly pages: number,
    hotFraction: number,
    rng: Rng,
  ) {
    this.hot = Math.min(pages, Math.max(1, Math.round(hotFraction * pages)));
    this.order = permutation(pages, rng);
  }
  start(phase: number): number {
    return (phase * this.hot) % (this.pages - this.hot + 1);
  }
  /** True when `page` is hot in `phase`. */
  isHot(phase: number, page: number): boolean {
    const s = this.start(phase);
    for (let i = s; i < s + this.hot; i++) if (this.order[i] === page) return true;
    return false;
  }
  hotPages(phase: number): Uint32Array {
    const s = this.start(phase);
    return this.order.slice(s, s + this.hot);
  }
  /** Fills out[from, to) with phase `phase`'s accesses. */
  fill(out: Uint32Array, from: number, to: number, phase: number, hotAccessFraction: number, rng: Rng): void {
    const s = this.start(phase);
    const hot = this.hot;
    const cold = this.pages - hot;
    const order = this.order;
    for (let i = from; i < to; i++) {
      if (cold === 0 || rng.float() < hotAccessFraction) out[i] = order[s + rng.below(hot)];
      else {
        const r = rng.below(cold);
        out[i] = order[r < s ? r : r + hot];
      }
    }
  }
}

export const hotcoldWorkload: WorkloadContribution = {
  name: 'hotcold',
  description: 'a hot set takes most accesses and moves between phases; the source phase sees the first hot set',
  params: workloadSchema({
    hotFraction: { type: 'number', default: 0.2, minimum: 0, maximum: 1, description: 'fraction of pages in the hot set' },
    hotAccessFraction: { type: 'number', default: 0.995, minimum: 0, maximum: 1, description: 'fraction of accesses that go to the hot set' },
    phases: { type: 'integer', default: 1, minimum: 1, maximum: 4096, description: 'restore-phase segments, each with its own hot set' },
  }),
  create(params, spec) {
    const common = readCommon(params, 'hotcold');
    const sets = new HotColdSets(common.pages, num(params, 'hotFraction'), Rng.for(common.seed, Stream.Permutation));
    const share = num(params, 'hotAccessFraction');
    const phases = num(params, 'phases');
    return singleProcessWorkload('hotcold', spec, params, common, (out, phase, rng) => {
      if (phase === 'source') {
        sets.fill(out, 0, out.length, 0, share, rng);
        return;
      }
      for (let k = 0; k < phases; k++) {
        const from = Math.floor((k * out.length) / phases);
        const to = Math.floor(((k + 1) * out.length) / phases);
        sets.fill(out, from, to, k, share, rng);
      }
    });
  },
};
