import { UsageError } from '../errors/usage-error';
import { ParamSchema, ParamValues, StrategyParams } from '../spec/param-schema';
import { resolveParams } from '../spec/spec-parser';
import { Strategy, StrategyContribution } from './strategy';

export interface StrategyDefinition<S extends ParamSchema> {
  readonly name: string;
  /** One line. */
  readonly description: string;
  readonly params: S;
  /** Decisions depend only on the event order, not on timing: sim and Linux must agree exactly. */
  readonly deterministic: boolean;
  /** Gets its parameters checked against the schema, defaults filled in, each typed by its spec. */
  create(params: ParamValues<S>): Strategy;
}

/**
 * A strategy contribution from its schema and a typed create(): the core checks the parameters
 * (from `--strategy name:key=value` or a direct call) once, so the strategy never parses or
 * validates them itself. A parameter that is missing, unknown or out of range is a UsageError that
 * names it.
 */
export function defineStrategy<const S extends ParamSchema>(d: StrategyDefinition<S>): StrategyContribution {
  return {
    name: d.name,
    description: d.description,
    params: d.params,
    deterministic: d.deterministic,
    create: (params: StrategyParams) => d.create(checkParams(d.name, d.params, params)),
  };
}

/** Parameter values checked against a schema (as their text would be), defaults filled in. */
export function checkParams<S extends ParamSchema>(owner: string, schema: S, params: StrategyParams): ParamValues<S> {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') throw new UsageError(`strategy ${owner}: parameter '${k}' must be a number, a string or a boolean`);
    raw[k] = String(v);
  }
  return resolveParams(schema, raw, `strategy ${owner}`) as ParamValues<S>;
}
