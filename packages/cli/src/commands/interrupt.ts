import { printErr } from './common-options';

const SIGNAL_EXIT: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

export interface Interrupt {
  readonly signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM, undefined before either. */
  readonly exitCode: number | undefined;
  release(): void;
}

/**
 * SIGINT and SIGTERM stop a command cleanly: the first aborts its signal (the backend tears the
 * restore down and removes its run directory), a second one exits at once with the signal's code.
 * `note` is printed on the first.
 */
export function interruptOnSignals(note?: () => string): Interrupt {
  const controller = new AbortController();
  let exitCode: number | undefined;
  const on = (sig: 'SIGINT' | 'SIGTERM') => () => {
    if (controller.signal.aborted) process.exit(SIGNAL_EXIT[sig]);
    exitCode = SIGNAL_EXIT[sig];
    const text = note?.();
    if (text) printErr(text);
    controller.abort(new Error(`interrupted (${sig})`));
  };
  const onInt = on('SIGINT');
  const onTerm = on('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    get exitCode() {
      return exitCode;
    },
    release() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
