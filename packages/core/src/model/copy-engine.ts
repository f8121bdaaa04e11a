import { UsageError } from '../errors/usage-error';

/**
 * How a copied page gets into the restored process (docs/copy-engines.md):
 * - `copy`: UFFDIO_COPY into anonymous memory;
 * - `continue`: the VMAs map a memfd privately; the page is written into its page cache and mapped
 *   with UFFDIO_CONTINUE (a minor fault), so a process's first write to it copies it (COW);
 * - `move`: the page is written into a staging area of the process and UFFDIO_MOVE puts it in place.
 */
export const COPY_ENGINES = ['copy', 'continue', 'move'] as const;
export type CopyEngine = (typeof COPY_ENGINES)[number];
export const DEFAULT_COPY_ENGINE: CopyEngine = 'copy';

export function isCopyEngine(text: string): text is CopyEngine {
  return (COPY_ENGINES as readonly string[]).includes(text);
}

export function parseCopyEngine(text: string, what = '--copy-engine'): CopyEngine {
  if (!isCopyEngine(text)) throw new UsageError(`${what} must be one of ${COPY_ENGINES.join(', ')}, got '${text}'`);
  return text;
}
