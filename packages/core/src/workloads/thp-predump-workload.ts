import { PageFlag } from '../model/image';
import { PAGES_PER_HUGE_PAGE } from '../model/page';
import { UsageError } from '../errors/usage-error';
import { permutation, Rng, selectExactly, Stream } from './random';
import { layoutVmas } from './vma-layout';
import { WorkloadContribution } from './workload-contribution';
import { assembleWorkload, buildTrace, contentFlags, ROOT_PID } from './workload-builder';
import { num, readCommon, workloadSchema } from './workload-params';

/**
 * Seed 001: pre-dumped pages in MADV_HUGEPAGE VMAs that khugepaged collapses before uffd registration.
 * In every 2 MiB range, round(predumpFraction * 512) pages, at random, are flagged Precopied. The
 * restore phase first reads every page once (in random order), so any zero hole is read; accesses
 * beyond that are uniform, with writeFraction writes.
 */
export const thpPredumpWorkload: WorkloadContribution = {
  name: 'thp-predump',
  description: 'seed 001: pre-dumped pages in huge-page VMAs collapsed before uffd registration',
  params: workloadSchema(
    {
      predumpFraction: { type: 'number', default: 0.125, minimum: 0, maximum: 1, description: 'fraction of each 2 MiB range pre-dumped' },
    },
    { accesses: 'pages', vmas: 2 },
  ),
  create(params, spec) {
    const common = readCommon(params, 'thp-predump');
    const { pages, seed } = common;
    if (pages % PAGES_PER_HUGE_PAGE !== 0 || pages / PAGES_PER_HUGE_PAGE < common.vmas)
      throw new UsageError(
        `workload thp-predump: parameter 'pages' must be a multiple of ${PAGES_PER_HUGE_PAGE} and at least ${PAGES_PER_HUGE_PAGE} per VMA (vmas=${common.vmas}), got ${pages}`,
      );
    const vmas = layoutVmas(pages, common.vmas, { thp: 'hugepage', collapseBeforeRegister: true, unitPages: PAGES_PER_HUGE_PAGE });
    const flags = contentFlags(pages, common.zeroFraction, Rng.for(seed, Stream.Zero, ROOT_PID));
    const perRange = Math.round(num(params, 'predumpFraction') * PAGES_PER_HUGE_PAGE);
    const rng = Rng.for(seed, Stream.Predump, ROOT_PID);
    for (let base = 0; base < pages; base += PAGES_PER_HUGE_PAGE) {
      selectExactly(PAGES_PER_HUGE_PAGE, perRange, rng, (i) => {
        flags[base + i] = PageFlag.Content | PageFlag.Precopied;
      });
    }
    const trace = buildTrace(ROOT_PID, common, (out, _phase, r) => {
      const pass = Math.min(out.length, pages);
      if (pass > 0) out.set(permutation(pages, r).subarray(0, pass));
      for (let i = pass; i < out.length; i++) out[i] = r.below(pages);
    });
    // The first pass is all reads: a page's first touch reads what the restore put there.
    trace.write.fill(0, 0, Math.min(trace.migrateAt, pages));
    trace.write.fill(0, trace.migrateAt, trace.migrateAt + Math.min(common.accesses, pages));
    return assembleWorkload({
      name: 'thp-predump',
      spec,
      params,
      common,
      processes: [{ pid: ROOT_PID, parent: null, vmas, pageFlags: flags }],
      traces: [trace],
    });
  },
};
