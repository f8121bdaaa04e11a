import { PageFlag } from '../model/image';
import { PAGES_PER_HUGE_PAGE } from '../model/page';
import { UsageError } from '../errors/usage-error';
import { layoutVmas } from './vma-layout';
import { Rng, Stream } from './random';
import { WorkloadContribution } from './workload-contribution';
import { assembleWorkload, buildTrace, contentFlags, ROOT_PID } from './workload-builder';
import { num, readCommon, workloadSchema } from './workload-params';

/**
 * Memory backed by 2 MiB hugetlbfs pages (what a VM's guest memory or a database's buffer pool
 * asks for): the first hugetlbVmas VMAs are hugetlb, the rest ordinary 4 KiB pages, accesses
 * uniform over all pages. zeroFraction applies to the ordinary VMAs only: every page of a hugetlb
 * VMA is content.
 */
export const hugetlbWorkload: WorkloadContribution = {
  name: 'hugetlb',
  description: 'uniform accesses over VMAs backed by 2 MiB hugetlbfs pages and ordinary ones',
  params: workloadSchema(
    {
      hugetlbVmas: { type: 'integer', default: 1, minimum: 0, maximum: 4096, description: 'the first this many VMAs are hugetlb' },
    },
    { vmas: 2 },
  ),
  create(params, spec) {
    const common = readCommon(params, 'hugetlb');
    const { pages } = common;
    const hugetlbVmas = num(params, 'hugetlbVmas');
    if (hugetlbVmas > common.vmas) throw new UsageError(`workload hugetlb: parameter 'hugetlbVmas' is ${hugetlbVmas}, more than vmas=${common.vmas}`);
    if (pages % PAGES_PER_HUGE_PAGE !== 0 || pages / PAGES_PER_HUGE_PAGE < common.vmas)
      throw new UsageError(
        `workload hugetlb: parameter 'pages' must be a multiple of ${PAGES_PER_HUGE_PAGE} and at least ${PAGES_PER_HUGE_PAGE} per VMA (vmas=${common.vmas}), got ${pages}`,
      );
    const vmas = layoutVmas(pages, common.vmas, { unitPages: PAGES_PER_HUGE_PAGE, hugetlbVmas });
    const flags = contentFlags(pages, common.zeroFraction, Rng.for(common.seed, Stream.Zero, ROOT_PID));
    for (const v of vmas) if (v.hugetlb) flags.fill(PageFlag.Content, v.firstPage, v.firstPage + v.pages);
    const trace = buildTrace(ROOT_PID, common, (out, _phase, rng) => {
      for (let i = 0; i < out.length; i++) out[i] = rng.below(pages);
    });
    return assembleWorkload({
      name: 'hugetlb',
      spec,
      params,
      common,
      processes: [{ pid: ROOT_PID, parent: null, vmas, pageFlags: flags }],
      traces: [trace],
    });
  },
};
