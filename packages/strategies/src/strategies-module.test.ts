import { Container } from 'inversify';
import { coreModule, StrategyContribution, StrategyRegistry, UsageError } from '@restorelab/core';
import { builtInStrategies, comparisonSet } from './built-in-strategies';
import { strategiesModule } from './strategies-module';
import { appliesTo, BuiltInStrategy } from './support/built-in-strategy';
import { workload } from './testing/workloads';

function registry(): StrategyRegistry {
  const c = new Container();
  c.loadSync(coreModule, strategiesModule);
  return c.get<StrategyRegistry>(StrategyRegistry);
}

describe('strategiesModule', () => {
  it('contributes every built-in strategy, in a stable order', () => {
    expect(registry().all().map((s) => s.name)).toEqual([
      'demand-only',
      'eager',
      'neighbor-prefetch',
      'hot-first-precopy',
      'thp-guard',
      'cow-aware',
      'criu-lazy',
      'qemu-postcopy',
      'leap-trend',
      'successor-prefetch',
      'hybrid-precopy',
    ]);
  });

  it('instantiates a stack with typed parameters', () => {
    const stack = registry().instantiate('thp-guard,neighbor-prefetch:window=16,direction=both');
    expect(stack.map((s) => s.spec)).toEqual(['thp-guard', 'neighbor-prefetch:window=16,direction=both']);
    expect(stack[1].instance).toMatchObject({ window: 16, direction: 'both' });
  });

  it.each([
    ['neighbor-prefetch:window=0', 'window'],
    ['neighbor-prefetch:window=5000', 'window'],
    ['neighbor-prefetch:direction=backward', 'direction'],
    ['hot-first-precopy:budget=-1', 'budget'],
    ['hot-first-precopy:order=coldness', 'order'],
    ['qemu-postcopy:chunk=1.5', 'chunk'],
    ['leap-trend:history=2', 'history'],
    ['leap-trend:maxWindow=0', 'maxWindow'],
    ['eager:window=8', 'window'],
  ])('%s: a parameter error names the parameter', (spec, param) => {
    const r = registry();
    expect(() => r.instantiate(spec)).toThrow(UsageError);
    expect(() => r.instantiate(spec)).toThrow(`'${param}'`);
  });

  it('rejects bad parameters in a direct create() call too', () => {
    const np = builtInStrategies.find((s) => s.name === 'neighbor-prefetch')!;
    expect(() => np.create({ window: 0 })).toThrow(/parameter 'window' must be >= 1/);
  });
});

describe('built-in contributions', () => {
  it.each(builtInStrategies.map((s) => [s.name, s] as const))('%s: one-line description, defaults within the schema', (_name, s) => {
    expect(s.description).not.toMatch(/\n/);
    expect(s.description.length).toBeGreaterThan(10);
    for (const [key, spec] of Object.entries(s.params)) {
      expect(spec.description).toBeTruthy();
      if (typeof spec.default === 'number') {
        if (spec.minimum !== undefined) expect(spec.default).toBeGreaterThanOrEqual(spec.minimum);
        if (spec.maximum !== undefined) expect(spec.default).toBeLessThanOrEqual(spec.maximum);
      }
      if (spec.enum) expect(spec.enum).toContain(spec.default);
      expect(key).toMatch(/^[a-z][A-Za-z]*$/);
    }
    expect(s.create({})).toBeDefined();
  });

  it('the default comparison leaves out strategies that cannot act on the workload', () => {
    const names = (spec: string) => comparisonSet(workload(spec), builtInStrategies).map((s) => s.name);
    expect(names('seq:pages=1024')).toEqual(['demand-only', 'eager', 'neighbor-prefetch', 'hot-first-precopy', 'criu-lazy', 'qemu-postcopy', 'leap-trend', 'successor-prefetch', 'hybrid-precopy']);
    expect(names('thp-predump:pages=1024')).toContain('thp-guard');
    expect(names('thp-predump:pages=1024')).not.toContain('cow-aware');
    expect(names('forktree:pages=1024')).toContain('cow-aware');
    expect(names('forktree:pages=1024')).not.toContain('hybrid-precopy');
    const plain: StrategyContribution = { name: 'plug-in', description: 'x', params: {}, deterministic: true, create: () => ({}) };
    expect(appliesTo(plain, workload('seq:pages=64'))).toBe(true);
    const picky: BuiltInStrategy = { ...plain, applies: (w) => w.name === 'zipf' };
    expect(appliesTo(picky, workload('seq:pages=64'))).toBe(false);
    expect(comparisonSet(workload('zipf:pages=64,accesses=10'), [plain, picky])).toEqual([plain, picky]);
  });
});
