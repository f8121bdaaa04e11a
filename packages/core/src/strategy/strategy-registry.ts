import { ContributionProvider } from '../di/contribution-provider';
import { AttachedStrategy } from './attached-strategy';
import { parseSpec, resolveParams, splitStack } from '../spec/spec-parser';
import { UsageError } from '../errors/usage-error';
import { StrategyContribution } from './strategy';

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
      if (!c) throw new UsageError(`unknown strategy '${spec.name}' (known: ${this.all().map((x) => x.name).join(', ')})`);
      if (names.has(c.name)) throw new UsageError(`strategy '${c.name}' appears twice in '${stack}'`);
      names.add(c.name);
      const params = resolveParams(c.params, spec.raw, `strategy ${c.name}`);
      return { name: c.name, spec: spec.text, instance: c.create(params) };
    });
  }
}
