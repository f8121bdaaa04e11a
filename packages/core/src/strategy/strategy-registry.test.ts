import { UsageError } from '../errors/usage-error';
import { defineStrategy } from './define-strategy';
import { StrategyContribution } from './strategy';
import { DefaultStrategyRegistry } from './strategy-registry';

const registry = (...cs: StrategyContribution[]) => new DefaultStrategyRegistry({ getContributions: () => cs });
const contribution = (name: string, create: () => unknown): StrategyContribution =>
  ({ name, description: '', params: {}, deterministic: true, create }) as unknown as StrategyContribution;

function usage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('strategy registry', () => {
  it('names the strategy whose create() throws, returns nothing usable or a hook that is not a function', () => {
    const r = registry(
      contribution('boom', () => {
        throw new TypeError('x is undefined\n    at create (plugin.js:3:5)');
      }),
      contribution('nothing', () => null),
      contribution('number', () => 7),
      contribution('bad-hook', () => ({ attach: 'soon' })),
    );
    expect(usage(() => r.instantiate('boom'))).toBe('strategy boom: create() failed: x is undefined');
    expect(usage(() => r.instantiate('nothing'))).toBe('strategy nothing: create() returned null, not a strategy object');
    expect(usage(() => r.instantiate('number'))).toBe('strategy number: create() returned number, not a strategy object');
    expect(usage(() => r.instantiate('bad-hook'))).toBe('strategy bad-hook: its attach is not a function');
  });

  it('hands defineStrategy typed, checked parameters', () => {
    const seen: unknown[] = [];
    const r = registry(
      defineStrategy({
        name: 'typed',
        description: '',
        deterministic: true,
        params: { n: { type: 'integer', default: 3, minimum: 1, description: '' }, mode: { type: 'string', default: 'a', enum: ['a', 'b'], description: '' } },
        create: ({ n, mode }) => (seen.push([n, mode]), {}),
      }),
    );
    r.instantiate('typed');
    r.instantiate('typed:n=9,mode=b');
    expect(seen).toEqual([[3, 'a'], [9, 'b']]);
    expect(usage(() => r.instantiate('typed:mode=c'))).toBe("strategy typed: parameter 'mode' must be one of a, b, got 'c'");
    expect(usage(() => r.get('typed')!.create({ n: 0 }))).toBe("strategy typed: parameter 'n' must be >= 1, got 0");
  });
});
