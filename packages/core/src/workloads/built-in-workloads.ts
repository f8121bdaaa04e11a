import { forktreeWorkload } from './forktree-workload';
import { hotcoldWorkload } from './hotcold-workload';
import { ptrchaseWorkload } from './ptrchase-workload';
import { seqWorkload } from './seq-workload';
import { strideWorkload } from './stride-workload';
import { hugetlbWorkload } from './hugetlb-workload';
import { thpPredumpWorkload } from './thp-predump-workload';
import { uniformWorkload } from './uniform-workload';
import { WorkloadContribution } from './workload-contribution';
import { zipfWorkload } from './zipf-workload';

export { GeneratedImage, fillPageContent } from './generated-image';
export { VMA_BASE, layoutVmas } from './vma-layout';

/** The synthetic generators bound by coreModule (fileWorkloads come after them). */
export const builtInWorkloads: WorkloadContribution[] = [
  seqWorkload,
  strideWorkload,
  uniformWorkload,
  zipfWorkload,
  hotcoldWorkload,
  ptrchaseWorkload,
  forktreeWorkload,
  thpPredumpWorkload,
  hugetlbWorkload,
];
