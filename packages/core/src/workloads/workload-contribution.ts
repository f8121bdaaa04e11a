import { Workload } from '../model/workload';
import { ParamSchema, StrategyParams } from '../spec/param-schema';
import { WorkloadSize } from './workload-size';

/** A built-in (or plugged-in) workload generator, e.g. zipf. Bound like strategies. */
export const WorkloadContribution = Symbol('WorkloadContribution');
export interface WorkloadContribution {
  readonly name: string;
  readonly description: string;
  readonly params: ParamSchema;
  /** 'file': reads its image or trace from files named by its parameters (image, trace) instead of generating them. */
  readonly kind?: 'generator' | 'file';
  /** The parameter a spec's first value sets when it has no `key=` (`image:DIR` for `dir`). */
  readonly positional?: string;
  /**
   * What create(params) will build, worked out without building it (checked against the limits and
   * the memory available first). Default: from the common parameters (pages, accesses, procs).
   */
  size?(params: StrategyParams): WorkloadSize;
  /** Deterministic for given params (params include the seed). */
  create(params: StrategyParams, spec: string): Workload;
}
