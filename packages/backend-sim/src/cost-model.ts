import { readFileSync } from 'fs';
import { PAGE_SIZE, UsageError } from '@restorelab/core';

/**
 * What each step of a restore costs on the simulator's virtual clock, in ns (bytes for the
 * memory model). `restorelab calibrate` writes a JSON file with these keys.
 */
export interface CostModel {
  /** A demand fault without its copy: uffd message read by the monitor, wake of the faulting thread. */
  readonly faultOverheadNs: number;
  /** Fixed cost of one UFFDIO_COPY call. */
  readonly copyCallNs: number;
  /** Per-page cost of UFFDIO_COPY. */
  readonly copyPageNs: number;
  /** UFFDIO_ZEROPAGE of one page. */
  readonly zeroPageNs: number;
  readonly madviseNs: number;
  /** From a fact to a strategy's reactive command reaching the copier (event batch to JS and back). */
  readonly decisionLatencyNs: number;
  /** Writing one page before uffd registration (plan prefill). */
  readonly prefillPageNs: number;
  /** UFFDIO_REGISTER of one VMA. */
  readonly registerVmaNs: number;
  readonly forkNs: number;
  /** Added to every copy call when the pages come from a remote source; 0: local. */
  readonly linkLatencyNs: number;
  /** Bandwidth of the link to a remote source; 0: local (no transfer cost). */
  readonly linkBytesPerSec: number;
  /** The workload runner's own PSS, added to every process's memory sample. */
  readonly processBaseBytes: number;
}

/** Rebind this to use another cost model (the CLI's --cost-model FILE). */
export const SimCostModel = Symbol('SimCostModel');

/**
 * Measured on a 2 vCPU VM with Linux 6.18 (DESIGN.md): a demand fault with a one-page UFFDIO_COPY
 * is ~13 us; UFFDIO_COPY is ~4.8 us for one page and ~1.15 us/page in calls of 8 pages or more.
 * madvise, prefill, register and fork are estimates until calibrated.
 */
export const defaultCostModel: CostModel = Object.freeze({
  faultOverheadNs: 8200,
  copyCallNs: 3700,
  copyPageNs: 1100,
  zeroPageNs: 4000,
  madviseNs: 2000,
  decisionLatencyNs: 50000,
  prefillPageNs: 600,
  registerVmaNs: 3000,
  forkNs: 100000,
  linkLatencyNs: 0,
  linkBytesPerSec: 0,
  processBaseBytes: 0,
});

export const costModelKeys = Object.keys(defaultCostModel) as (keyof CostModel)[];

/**
 * Checks an object read from JSON: only known keys (keys starting with '_' are comments), each a
 * finite number >= 0; missing keys take the defaults. Throws UsageError in one line.
 */
export function parseCostModel(value: unknown, source: string): CostModel {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`cost model ${source}: expected a JSON object with keys ${costModelKeys.join(', ')}`);
  const out: Record<string, number> = { ...defaultCostModel };
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k.startsWith('_')) continue;
    if (!(costModelKeys as string[]).includes(k))
      throw new UsageError(`cost model ${source}: unknown key '${k}' (known: ${costModelKeys.join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new UsageError(`cost model ${source}: '${k}' must be a number >= 0, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  return Object.freeze(out as unknown as CostModel);
}

export function loadCostModel(file: string): CostModel {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read cost model ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`cost model ${file} is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return parseCostModel(value, file);
}

/** Time of `calls` UFFDIO_COPY calls moving `pages` pages in all (link cost included). */
export function copyCostNs(m: CostModel, pages: number, calls = 1): number {
  let ns = calls * (m.copyCallNs + m.linkLatencyNs) + pages * m.copyPageNs;
  if (m.linkBytesPerSec > 0) ns += Math.round((pages * PAGE_SIZE * 1e9) / m.linkBytesPerSec);
  return ns;
}
