import { UsageError } from '@restorelab/core';
import { ExitError, oneLine, reportError } from './errors';

describe('error policy', () => {
  it('maps a UsageError to one line and exit 2', () => {
    expect(reportError(new UsageError("unknown strategy 'x' (known: a, b)"))).toEqual({
      exitCode: 2,
      text: "restorelab: unknown strategy 'x' (known: a, b)",
    });
  });

  it('maps any other error to one line and exit 1, with the stack only when debugging', () => {
    const e = new Error('backend linux is not available here: no userfaultfd\nmore detail');
    expect(reportError(e)).toEqual({ exitCode: 1, text: 'restorelab: backend linux is not available here: no userfaultfd' });
    const debug = reportError(e, true);
    expect(debug.exitCode).toBe(1);
    expect(debug.text.split('\n')[0]).toBe('restorelab: backend linux is not available here: no userfaultfd');
    expect(debug.text).toContain('errors.test.ts');
  });

  it('lets ExitError choose the code, silently when it has no message', () => {
    expect(reportError(new ExitError(1))).toEqual({ exitCode: 1, text: '' });
    expect(reportError(new ExitError(3, 'stopped'))).toEqual({ exitCode: 3, text: 'restorelab: stopped' });
  });

  it('treats thrown non-errors as failures', () => {
    expect(reportError('boom')).toEqual({ exitCode: 1, text: 'restorelab: boom' });
  });

  it('keeps the first non-empty line', () => {
    expect(oneLine('\n  first \nsecond')).toBe('first');
  });
});
