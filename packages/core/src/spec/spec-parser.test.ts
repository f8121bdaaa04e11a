import { UsageError } from '../errors/usage-error';
import { parseSpec, resolveParams, splitStack } from './spec-parser';
import { ParamSchema } from './param-schema';

function usage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).name).toBe('UsageError');
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

const schema: ParamSchema = {
  window: { type: 'integer', default: 8, description: 'pages', minimum: 1, maximum: 512 },
  ratio: { type: 'number', default: 0.5, description: 'fraction', minimum: 0, maximum: 1 },
  direction: { type: 'string', default: 'forward', description: 'where', enum: ['forward', 'backward', 'both'] },
  label: { type: 'string', default: '', description: 'free text' },
  strict: { type: 'boolean', default: false, description: 'flag' },
};

describe('parseSpec', () => {
  it('splits a name and key=value parameters', () => {
    expect(parseSpec(' zipf:pages=65536,theta=0.99 ', 'workload')).toEqual({
      name: 'zipf',
      raw: { pages: '65536', theta: '0.99' },
      text: 'zipf:pages=65536,theta=0.99',
    });
    expect(parseSpec('demand-only', 'strategy')).toEqual({ name: 'demand-only', raw: {}, text: 'demand-only' });
    expect(parseSpec('seq:', 'workload').raw).toEqual({});
    expect(parseSpec('a:x=1:y=2', 'workload').raw).toEqual({ x: '1', y: '2' });
    expect(parseSpec('a: x=1 , y=2 ', 'workload').raw).toEqual({ x: '1', y: '2' });
    expect(parseSpec('a:x= 1 ,y =2', 'workload').raw).toEqual({ x: ' 1', y: '2' });
  });

  it('rejects bad names, parameters without =, and repeated parameters', () => {
    expect(usage(() => parseSpec('Zipf', 'workload'))).toBe("bad workload 'Zipf': expected NAME or NAME:key=value,...");
    expect(usage(() => parseSpec(':x=1', 'strategy'))).toMatch(/^bad strategy/);
    expect(usage(() => parseSpec('zipf:pages', 'workload'))).toBe(
      "bad workload parameter 'pages' in 'zipf:pages': expected key=value",
    );
    expect(usage(() => parseSpec('zipf:=3', 'workload'))).toMatch(/expected key=value/);
    expect(usage(() => parseSpec('zipf:a=1,a=2', 'workload'))).toBe("workload parameter 'a' given twice in 'zipf:a=1,a=2'");
  });
});

describe('splitStack', () => {
  it('starts a new strategy at a comma unless a key=value of the current one follows', () => {
    expect(splitStack('thp-guard,neighbor-prefetch:window=16,direction=both,cow-aware')).toEqual([
      'thp-guard',
      'neighbor-prefetch:window=16,direction=both',
      'cow-aware',
    ]);
    expect(splitStack(' a , b ')).toEqual(['a', 'b']);
    expect(splitStack('')).toEqual([]);
  });

  it('refuses an empty element: a comma too many is a mistake, not nothing', () => {
    for (const stack of ['eager,', ',eager', 'a,,b', ' a , ,b ']) {
      expect(() => splitStack(stack)).toThrow(new RegExp(`^strategy stack '${stack}' has an empty element \\(a comma too many\\?\\)$`));
    }
  });

  it('does not glue key=value onto a strategy given without parameters', () => {
    expect(splitStack('thp-guard,window=16')).toEqual(['thp-guard', 'window=16']);
  });
});

describe('resolveParams', () => {
  it('fills defaults and converts types', () => {
    expect(resolveParams(schema, {}, 'strategy x')).toEqual({
      window: 8,
      ratio: 0.5,
      direction: 'forward',
      label: '',
      strict: false,
    });
    expect(
      resolveParams(schema, { window: '16', ratio: '1', direction: 'both', label: 'hi', strict: 'true' }, 'strategy x'),
    ).toEqual({ window: 16, ratio: 1, direction: 'both', label: 'hi', strict: true });
    expect(resolveParams(schema, { strict: '1' }, 's').strict).toBe(true);
    expect(resolveParams(schema, { strict: '0' }, 's').strict).toBe(false);
  });

  it('names the parameter in every error', () => {
    expect(usage(() => resolveParams(schema, { windw: '3' }, 'strategy x'))).toBe(
      "strategy x: unknown parameter 'windw' (known: window, ratio, direction, label, strict)",
    );
    expect(usage(() => resolveParams({}, { a: '1' }, 'strategy y'))).toBe("strategy y: unknown parameter 'a' (it takes none)");
    expect(usage(() => resolveParams(schema, { window: '1.5' }, 's'))).toBe("s: parameter 'window' must be an integer, got '1.5'");
    expect(usage(() => resolveParams(schema, { window: '' }, 's'))).toMatch(/must be an integer/);
    expect(usage(() => resolveParams(schema, { ratio: 'abc' }, 's'))).toBe("s: parameter 'ratio' must be a number, got 'abc'");
    expect(usage(() => resolveParams(schema, { window: '0' }, 's'))).toBe("s: parameter 'window' must be >= 1, got 0");
    expect(usage(() => resolveParams(schema, { window: '513' }, 's'))).toBe("s: parameter 'window' must be <= 512, got 513");
    expect(usage(() => resolveParams(schema, { direction: 'up' }, 's'))).toBe(
      "s: parameter 'direction' must be one of forward, backward, both, got 'up'",
    );
    expect(usage(() => resolveParams(schema, { strict: 'yes' }, 's'))).toBe("s: parameter 'strict' must be true or false, got 'yes'");
  });
});

describe('UsageError', () => {
  it('is an Error named UsageError', () => {
    const e = new UsageError('x');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('UsageError');
    expect(e.message).toBe('x');
  });
});

describe('numbers in specs are read strictly', () => {
  const schema: ParamSchema = {
    n: { type: 'integer', default: 1, description: 'an integer' },
    x: { type: 'number', default: 0.5, description: 'a number' },
  };
  it.each(['0x10', '0b11', '0o7', '1e3', '+5', ' 5 ', '5 ', '08', '1_000', '', '1.0'])('integer %p is refused, quoted as given', (v) => {
    expect(() => resolveParams(schema, { n: v }, 'strategy s')).toThrow(`strategy s: parameter 'n' must be an integer, got '${v}'`);
  });
  it.each(['0x10', '+0.5', ' 0.5', '.5', '5.', 'Infinity', 'NaN'])('number %p is refused', (v) => {
    expect(() => resolveParams(schema, { x: v }, 'strategy s')).toThrow(`strategy s: parameter 'x' must be a number, got '${v}'`);
  });
  it('keeps the spaces of a value in a spec, so " 5 " is refused there too', () => {
    expect(() => resolveParams(schema, parseSpec('w:n= 5 ', 'workload').raw, 'workload w')).toThrow("workload w: parameter 'n' must be an integer, got ' 5'");
  });
  it('takes plain decimals', () => {
    expect(resolveParams(schema, { n: '-12', x: '0.25' }, 'w')).toEqual({ n: -12, x: 0.25 });
    expect(resolveParams(schema, { n: '0', x: '1e-7' }, 'w')).toEqual({ n: 0, x: 1e-7 });
  });
});
