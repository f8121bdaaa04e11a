import { RunResult } from '@restorelab/core';

/** `stack: 5 pre-copy rounds, dirty pages 1748 719 304 162 109; switch-over (max-rounds) ...`, one line per run with rounds. */
export function precopyLines(results: readonly RunResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    const p = r.metrics.precopy;
    if (!p) continue;
    lines.push(
      `${r.strategy}: ${p.rounds} pre-copy round${p.rounds === 1 ? '' : 's'} sent ${p.sentPages} pages, dirty pages per round ${p.dirtyPages.join(' ')}; ` +
        `switch-over (${p.switchReason}) after ${p.sourcePasses.toFixed(2)} passes of the source phase, ${p.discardedPages} pages dropped for post-copy`,
    );
  }
  return lines;
}
