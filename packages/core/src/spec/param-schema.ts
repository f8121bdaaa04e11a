export type ParamValue = number | string | boolean;
export type StrategyParams = Readonly<Record<string, ParamValue>>;

export interface ParamSpec {
  readonly type: 'integer' | 'number' | 'string' | 'boolean';
  readonly default: ParamValue;
  readonly description: string;
  readonly enum?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
}

export type ParamSchema = Readonly<Record<string, ParamSpec>>;

/** The value a parameter of this spec takes: a number, a boolean, one of its enum, or a string. */
export type ParamValueOf<P extends ParamSpec> = P['type'] extends 'integer' | 'number'
  ? number
  : P['type'] extends 'boolean'
    ? boolean
    : P extends { readonly enum: readonly (infer E extends string)[] }
      ? E
      : string;

/** The checked parameters of a schema, each typed by its spec. */
export type ParamValues<S extends ParamSchema> = { readonly [K in keyof S]: ParamValueOf<S[K]> };
