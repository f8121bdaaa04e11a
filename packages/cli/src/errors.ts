import { UsageError } from '@restorelab/core';

/**
 * Ends the command with an exit code; the command has already printed what it had to say
 * (e.g. a run that completed but failed verification: results first, reasons on stderr, exit 1).
 */
export class ExitError extends Error {
  override readonly name = 'ExitError';
  constructor(
    readonly exitCode: number,
    message = '',
  ) {
    super(message);
  }
}

export interface ErrorReport {
  readonly exitCode: number;
  /** What to print on stderr (one line, or with the stack when debugging); empty: nothing. */
  readonly text: string;
}

/** True for the errors a user caused: a wrong flag, name or parameter. */
export function isUsageError(e: unknown): boolean {
  return e instanceof UsageError || (e instanceof Error && e.name === 'UsageError');
}

/**
 * The error policy: UsageError → one line, exit 2; ExitError → its code, its message if any;
 * any other error → one line, exit 1, with the stack only when debug is on.
 */
export function reportError(e: unknown, debug = false): ErrorReport {
  if (e instanceof ExitError) return { exitCode: e.exitCode, text: e.message ? `restorelab: ${oneLine(e.message)}` : '' };
  if (isUsageError(e)) return { exitCode: 2, text: `restorelab: ${oneLine((e as Error).message)}` };
  const message = e instanceof Error ? e.message || e.name : String(e);
  const line = `restorelab: ${oneLine(message)}`;
  if (debug && e instanceof Error && e.stack) return { exitCode: 1, text: `${line}\n${e.stack}` };
  return { exitCode: 1, text: line };
}

/** Collapses a message to its first non-empty line. */
export function oneLine(message: string): string {
  const first = message
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  return first ?? '';
}

export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.RESTORELAB_DEBUG === '1';
}
