import { WorkloadContribution } from '../workloads/workload-contribution';
import { criuWorkload } from './criu-workload';
import { imageWorkload } from './image-workload';
import { traceWorkload } from './trace-workload';

export { IMAGE_TRACE_FILE } from './image-workload';
export { criuDumpWorkload } from './criu-workload';

/** The workloads that read files (image:DIR, trace:FILE, criu:DIR) instead of generating them, bound by coreModule after the generators. */
export const fileWorkloads: WorkloadContribution[] = [imageWorkload, traceWorkload, criuWorkload];
