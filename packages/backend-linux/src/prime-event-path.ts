import { primeEventPath } from '@restorelab/core';
import { pauseOptimizingCompiler } from './optimizing-compiler';

/**
 * Before the clock of a restore whose strategies react while it runs: core's event path compiled
 * (primeEventPath) as it will run, in baseline code, TurboFan kept out as during the restore.
 */
export function primeReactiveEventPath(): void {
  const resume = pauseOptimizingCompiler();
  try {
    primeEventPath();
  } finally {
    resume();
  }
}
