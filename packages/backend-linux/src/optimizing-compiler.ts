import * as v8 from 'v8';

/**
 * V8's optimizing compiler (TurboFan) is paused while strategies react to a Linux restore. A
 * restore lasts a few hundred milliseconds; in that time TurboFan compiles the event path on
 * V8's helper threads for about as long again, on the CPU the strategies' thread has (the other
 * one runs the restored process and the fault thread), and every scavenge waits at a safepoint
 * for those threads. Measured on 2 vCPUs (bench decision-latency, fresh process): p50 decision
 * latency 30-65 ms with it, 4-20 us without. Code already optimized keeps running; the rest runs as
 * baseline code until the restore ends.
 */
let holds = 0;

/** Whether the user turned TurboFan off for the whole process (then it is never turned back on). */
function offForProcess(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return args.some((a) => a === '--no-opt' || a === '--no-turbofan');
}

/** Pauses TurboFan until the returned function is called (nested pauses end with the last). */
export function pauseOptimizingCompiler(): () => void {
  if (offForProcess()) return () => undefined;
  if (holds++ === 0) v8.setFlagsFromString('--no-turbofan');
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holds === 0) v8.setFlagsFromString('--turbofan');
  };
}
