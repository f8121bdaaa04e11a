import { logFileName, sanitizeName, sanitizeStack, specHash, uniqueLogFileNames } from './log-file-name';

describe('log file names', () => {
  it('joins a stack with + and a strategy with its parameters with _', () => {
    expect(sanitizeStack('thp-guard,neighbor-prefetch:window=16,direction=both')).toBe(
      'thp-guard+neighbor-prefetch_window=16_direction=both',
    );
    expect(sanitizeStack('demand-only')).toBe('demand-only');
    expect(sanitizeStack(' eager , thp-guard ')).toBe('eager+thp-guard');
  });

  it('replaces characters that do not belong in a file name', () => {
    expect(sanitizeStack('x:path=a/b c')).toBe('x_path=a_bc');
    expect(sanitizeName('my/workload')).toBe('my_workload');
  });

  it('builds <backend>-<workload>-<spec hash>-<stack>-<seed>.rlog, -r<k> for a repeat', () => {
    const zipf = { name: 'zipf', spec: 'zipf:pages=1024,seed=1' };
    const h = specHash(zipf.spec);
    expect(h).toMatch(/^[0-9a-f]{8}$/);
    expect(logFileName('sim', zipf, 'thp-guard,neighbor-prefetch:window=16', 3)).toBe(`sim-zipf-${h}-thp-guard+neighbor-prefetch_window=16-3.rlog`);
    expect(logFileName('sim', zipf, 'eager', 3, 2)).toBe(`sim-zipf-${h}-eager-3-r2.rlog`);
  });

  it('tells workloads of other parameters apart', () => {
    expect(logFileName('sim', { name: 'zipf', spec: 'zipf:pages=4096,seed=1' }, 'eager', 1)).not.toBe(logFileName('sim', { name: 'zipf', spec: 'zipf:pages=1024,seed=1' }, 'eager', 1));
  });

  it('numbers names that collide', () => {
    expect(uniqueLogFileNames(['a.rlog', 'b.rlog', 'a.rlog', 'a.rlog'])).toEqual(['a.rlog', 'b.rlog', 'a-2.rlog', 'a-3.rlog']);
  });
});
