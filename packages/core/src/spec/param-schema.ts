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
