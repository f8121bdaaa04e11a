import { BackendSession, primeEventPath } from '@restorelab/core';
import { pauseOptimizingCompiler } from './optimizing-compiler';
import { growYoungGeneration } from './young-generation';

/**
 * Before the clock of a restore whose strategies react while it runs: core's event path and the
 * stack's own code compiled (primeEventPath, session.warmUp) as they will run, in baseline code,
 * TurboFan kept out as during the restore; and the young generation at its largest, so that no
 * scavenge stops the strategies mid-restore.
 */
export function prepareReactiveRestore(session: BackendSession): void {
  const resume = pauseOptimizingCompiler();
  try {
    primeEventPath();
    session.warmUp();
  } finally {
    resume();
  }
  growYoungGeneration();
}
