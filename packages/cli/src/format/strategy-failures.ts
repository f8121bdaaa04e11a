import { EventKind, EventStore } from '@restorelab/core';

/** `stack: strategy S was detached at 12.3 ms: its message`, one line per StrategyFailed of a run. */
export function strategyFailureLines(stack: string, store: EventStore): string[] {
  const lines: string[] = [];
  for (let i = 0; i < store.length; i++) {
    if (store.kind[i] !== EventKind.StrategyFailed) continue;
    const message = store.string(store.b[i]).split('\n')[0];
    lines.push(`${stack}: strategy ${store.string(store.a[i])} was detached at ${(store.t[i] / 1e6).toFixed(1)} ms: ${message}`);
  }
  return lines;
}
