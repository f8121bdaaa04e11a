import { EventKind, EventStore, RunResult } from '@restorelab/core';

/**
 * Why a run is not verified, in one line, from its log (the rules of core's isVerified): pages that
 * differ from the image, with the first one; processes never verified; no workload at all.
 */
export function failureReason(store: EventStore, result: RunResult): string {
  let processes = 0;
  let sawStart = false;
  let mismatched = 0;
  const started = new Set<number>();
  const verified = new Set<number>();
  let firstMismatch: { pid: number; page: number } | undefined;
  for (let i = 0; i < store.length; i++) {
    const k = store.kind[i];
    if (k === EventKind.RestoreStarted && !sawStart) {
      sawStart = true;
      processes = store.b[i];
    } else if (k === EventKind.WorkloadStarted) started.add(store.pid[i]);
    else if (k === EventKind.PagesVerified) {
      verified.add(store.pid[i]);
      mismatched += store.b[i];
    } else if (k === EventKind.PageMismatch && !firstMismatch) firstMismatch = { pid: store.pid[i], page: store.a[i] };
  }
  mismatched = Math.max(mismatched, result.metrics.mismatchedPages);
  const parts: string[] = [];
  if (mismatched > 0) {
    const where = firstMismatch ? ` (first at pid ${firstMismatch.pid} page ${firstMismatch.page})` : '';
    parts.push(`${mismatched} ${mismatched === 1 ? 'page differs' : 'pages differ'} from the image${where}`);
  }
  if (started.size === 0) parts.push('no process ran its workload');
  else {
    const expected = Math.max(processes, started.size);
    const missing = [...started].filter((p) => !verified.has(p));
    const unverified = Math.max(missing.length, expected - verified.size);
    if (unverified > 0)
      parts.push(
        `${unverified} of ${expected} processes were never verified${missing.length ? ` (pid ${missing.join(', ')})` : ''}`,
      );
  }
  if (parts.length === 0) parts.push('not verified');
  return `${result.strategy}: ${parts.join('; ')}`;
}
