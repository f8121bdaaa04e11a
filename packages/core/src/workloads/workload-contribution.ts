import { Workload } from '../model/workload';
import { ParamSchema, StrategyParams } from '../spec/param-schema';

/** A built-in (or plugged-in) workload generator, e.g. zipf. Bound like strategies. */
export const WorkloadContribution = Symbol('WorkloadContribution');
export interface WorkloadContribution {
  readonly name: string;
  readonly description: string;
  readonly params: ParamSchema;
  /** Deterministic for given params (params include the seed). */
  create(params: StrategyParams, spec: string): Workload;
}
