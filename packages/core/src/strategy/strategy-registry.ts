import { didYouMean } from '../errors/did-you-mean';
import { ContributionProvider } from '../di/contribution-provider';
import { AttachedStrategy } from './attached-strategy';
import { parseSpec, resolveParams, splitStack } from '../spec/spec-parser';
import { UsageError } from '../errors/usage-error';
import { ParamValue } from '../spec/param-schema';
import { Strategy, StrategyContribution } from './strategy';

export const StrategyRegistry = Symbol('StrategyRegistry');
export interface StrategyRegistry {
  all(): readonly StrategyContribution[];
  get(name: string): StrategyContribution | undefined;
  /** Instantiates a stack such as `thp-guard,neighbor-prefetch:window=16`. Throws UsageError. */
  instantiate(stack: string): AttachedStrategy[];
}

export class DefaultStrategyRegistry implements StrategyRegistry {
  constructor(private readonly provider: ContributionProvider<StrategyContribution>) {}

  all(): readonly StrategyContribution[] {
    const seen = new Map<string, StrategyContribution>();
    for (const c of this.provider.getContributions()) {
      if (seen.has(c.name)) throw new UsageError(`two strategies are named '${c.name}' (a plugin registers a name that is already taken)`);
      seen.set(c.name, c);
    }
    return [...seen.values()];
  }

  get(name: string): StrategyContribution | undefined {
    return this.all().find((c) => c.name === name);
  }

  instantiate(stack: string): AttachedStrategy[] {
    const parts = splitStack(stack);
    if (parts.length === 0) throw new UsageError('empty strategy stack');
    const names = new Set<string>();
    return parts.map((text) => {
      const spec = parseSpec(text, 'strategy');
      const c = this.get(spec.name);
      if (!c) {
        const known = this.all().map((x) => x.name);
        throw new UsageError(`unknown strategy '${spec.name}' (known: ${known.join(', ')})${didYouMean(spec.name, known) || '; a plugin\'s strategy needs --plugin PATH'}`);
      }
      if (names.has(c.name)) throw new UsageError(`strategy '${c.name}' appears twice in '${stack}'`);
      names.add(c.name);
      const params = resolveParams(c.params, spec.raw, `strategy ${c.name}`);
      return { name: c.name, spec: spec.text, instance: create(c, params) };
    });
  }
}

/** A contribution's create(), its mistakes told in one line that names the strategy. */
function create(c: StrategyContribution, params: Readonly<Record<string, ParamValue>>): Strategy {
  let instance: unknown;
  try {
    instance = c.create(params);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`strategy ${c.name}: create() failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  if (typeof instance !== 'object' || instance === null) throw new UsageError(`strategy ${c.name}: create() returned ${instance === null ? 'null' : typeof instance}, not a strategy object`);
  const s = instance as Strategy;
  for (const hook of ['plan', 'attach'] as const) {
    if (s[hook] !== undefined && typeof s[hook] !== 'function') throw new UsageError(`strategy ${c.name}: its ${hook} is not a function`);
  }
  return s;
}
