import { ParamSchema, ParamValue, resolveParams, StrategyParams } from '@restorelab/core';

/**
 * A strategy's parameters checked against its schema, defaults filled in. The registry has already
 * done this for `--strategy name:key=value`; doing it again in create() keeps a direct call
 * (a test, another tool) from building a strategy with a missing or out-of-range value.
 * Throws UsageError naming the parameter.
 */
export function readParams(owner: string, schema: ParamSchema, params: StrategyParams): Readonly<Record<string, ParamValue>> {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) raw[k] = String(v);
  return resolveParams(schema, raw, `strategy ${owner}`);
}

export function numberParam(params: Readonly<Record<string, ParamValue>>, key: string): number {
  const v = params[key];
  if (typeof v !== 'number') throw new Error(`parameter '${key}' is not a number`);
  return v;
}

export function stringParam<T extends string = string>(params: Readonly<Record<string, ParamValue>>, key: string): T {
  const v = params[key];
  if (typeof v !== 'string') throw new Error(`parameter '${key}' is not a string`);
  return v as T;
}
