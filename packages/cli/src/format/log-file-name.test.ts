import { logFileName, sanitizeName, sanitizeStack, uniqueLogFileNames } from './log-file-name';

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

  it('builds <backend>-<workload>-<stack>-<seed>.rlog', () => {
    expect(logFileName('sim', 'zipf', 'thp-guard,neighbor-prefetch:window=16', 3)).toBe(
      'sim-zipf-thp-guard+neighbor-prefetch_window=16-3.rlog',
    );
  });

  it('numbers names that collide', () => {
    expect(uniqueLogFileNames(['a.rlog', 'b.rlog', 'a.rlog', 'a.rlog'])).toEqual(['a.rlog', 'b.rlog', 'a-2.rlog', 'a-3.rlog']);
  });
});
