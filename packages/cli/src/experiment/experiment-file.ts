import { COPY_ENGINES, CopyEngine } from '@restorelab/core';

/** A parameter value as written in an experiment file. */
export type ParamScalar = number | string | boolean;

/** Parameters of one workload or strategy: a list is a grid axis (one run per value). */
export type ParamGrid = Readonly<Record<string, ParamScalar | readonly ParamScalar[]>>;

export interface WorkloadEntry {
  readonly name: string;
  readonly params?: ParamGrid;
  /** Name in charts and tables; default: the name and the grid values. */
  readonly label?: string;
}

export interface StrategyEntry {
  /** A strategy stack, e.g. `thp-guard,neighbor-prefetch:window=16`. */
  readonly stack: string;
  /** Per strategy of the stack, by name: parameters (lists are grid axes). */
  readonly params?: Readonly<Record<string, ParamGrid>>;
  readonly label?: string;
}

/** A link axis: each key a value or a list of values (one run per combination). */
export interface LinkEntry {
  readonly latencyUs?: number | readonly number[];
  /** A rate (1gbit, 200mbit, 125MB) or bytes per second; off: unshaped. */
  readonly bandwidth?: string | number | readonly (string | number)[];
  readonly channels?: 1 | 2 | readonly (1 | 2)[];
  readonly label?: string;
}

/**
 * An experiment file (JSON or YAML): every combination of workload, strategy, backend and
 * repetition is one run. A workload or strategy may also be given as a plain spec string.
 */
export interface ExperimentFile {
  readonly name?: string;
  readonly description?: string;
  readonly backends: readonly string[];
  readonly workloads: readonly (string | WorkloadEntry)[];
  readonly strategies: readonly (string | StrategyEntry)[];
  /** Runs per combination; repetition r uses seed + r (for the backend and the workload's seed). */
  readonly repetitions?: number;
  readonly seed?: number;
  /** A simulator cost model (JSON), relative to the experiment file; --cost-model overrides it. */
  readonly costModel?: string;
  /**
   * The pages come over these links (run --link): a spec `latency-us=200,bandwidth=1gbit`, `none`
   * for local, or a grid of latencyUs, bandwidth and channels. Default: local only.
   */
  readonly links?: readonly (string | LinkEntry)[];
  /** How copied pages are placed (run --copy-engine): one run per engine. Default: copy only. */
  readonly copyEngines?: readonly CopyEngine[];
}

const scalar = { type: ['number', 'string', 'boolean'] };
const grid = {
  type: 'object',
  propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]*$' },
  additionalProperties: {
    anyOf: [scalar, { type: 'array', items: scalar, minItems: 1 }],
  },
};
const specString = { type: 'string', minLength: 1 };

/** A non-empty list whose items are spec strings or objects of these properties. */
function specsOr(properties: Readonly<Record<string, unknown>>, required: readonly string[] = []) {
  return { type: 'array', minItems: 1, items: { anyOf: [specString, { type: 'object', additionalProperties: false, required, properties }] } } as const;
}

/** JSON Schema (draft-07) of ExperimentFile, checked with ajv. */
export const experimentSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['backends', 'workloads', 'strategies'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
    description: { type: 'string' },
    backends: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' } },
    repetitions: { type: 'integer', minimum: 1, maximum: 10000 },
    seed: { type: 'integer', minimum: 0, maximum: 0xffffffff },
    costModel: { type: 'string', minLength: 1 },
    workloads: specsOr(
      {
        name: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
        params: grid,
        label: { type: 'string', minLength: 1 },
      },
      ['name'],
    ),
    strategies: specsOr(
      {
        stack: specString,
        params: { type: 'object', additionalProperties: grid },
        label: { type: 'string', minLength: 1 },
      },
      ['stack'],
    ),
    links: specsOr({
      latencyUs: { anyOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' }, minItems: 1 }] },
      bandwidth: { anyOf: [{ type: ['string', 'integer'] }, { type: 'array', items: { type: ['string', 'integer'] }, minItems: 1 }] },
      channels: { anyOf: [{ enum: [1, 2] }, { type: 'array', items: { enum: [1, 2] }, minItems: 1 }] },
      label: { type: 'string', minLength: 1 },
    }),
    copyEngines: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...COPY_ENGINES] } },
  },
} as const;
