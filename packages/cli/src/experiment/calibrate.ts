import * as fs from 'fs';
import * as os from 'os';
import { DEFAULT_PLACEMENT, measureCosts, MeasuredCosts, Placement } from '@restorelab/backend-linux';
import { CostModel, costModelKeys, defaultCostModel, parseCostModel } from '@restorelab/backend-sim';
import { UsageError } from '@restorelab/core';

/** The cost-model keys backend-linux's measureCosts() measures; the others keep their defaults. */
export const MEASURED_KEYS = ['faultOverheadNs', 'faultWakeNs', 'faultIdleNs', 'faultJumpNs', 'faultCopyPageNs', 'copyCallNs', 'ruleCallNs', 'copyPageNs', 'zeroPageNs', 'madviseNs', 'cowPageNs', 'touchPageNs', 'decisionLatencyNs', 'decisionEventNs', 'processCpus', 'copierSharesEventLoopCpu', 'copierWakeNs', 'faultThreadSharesProcessCpu', 'linkRequestNs', 'linkPageNs'] as const satisfies readonly (keyof MeasuredCosts & keyof CostModel)[];

/** The copy engines' keys: measured where this kernel's userfaultfd can do the engine (else defaults). */
export const ENGINE_KEYS = ['cacheFillPageNs', 'continueCallNs', 'continuePageNs', 'stagePageNs', 'moveCallNs', 'movePageNs'] as const satisfies readonly (keyof MeasuredCosts & keyof CostModel)[];

/** Measured when the hugetlb pool has room for the calibration's huge pages (else the default). */
export const HUGETLB_KEYS = ['hugePageCopyNs'] as const satisfies readonly (keyof MeasuredCosts & keyof CostModel)[];

/** Measured where this kernel can do pre-copy rounds (asynchronous write-protect), else the defaults. */
export const PRECOPY_KEYS = ['precopyCallNs', 'precopyPageNs', 'dirtyScanNs', 'dirtyScanPageNs', 'sourceAccessNs', 'precopyDecisionNs', 'discardRunNs'] as const satisfies readonly (keyof MeasuredCosts & keyof CostModel)[];

/** A cost-model profile: the simulator's keys (comments start with '_', which the loader skips). */
export type CostProfile = CostModel & { readonly _comment: string; readonly _measured: readonly string[] };

/** Measures on this machine and returns the profile `--cost-model` reads. */
export async function calibrate(
  base: CostModel = defaultCostModel,
  measure: () => Promise<MeasuredCosts> = () => measureCosts(),
  placement: Placement = DEFAULT_PLACEMENT,
): Promise<CostProfile> {
  return costProfile(await measure(), base, placement);
}

/** The measured keys over `base`, with a comment saying where and when (throws on a bad measurement). */
export function costProfile(measured: MeasuredCosts, base: CostModel = defaultCostModel, placement: Placement = DEFAULT_PLACEMENT): CostProfile {
  const model: Record<string, number> = { ...base };
  for (const k of MEASURED_KEYS) {
    const v = measured[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`measureCosts() returned ${k} = ${String(v)}`);
    model[k] = Math.round(v);
  }
  const measuredKeys: string[] = [...MEASURED_KEYS];
  for (const k of [...ENGINE_KEYS, ...HUGETLB_KEYS, ...PRECOPY_KEYS]) {
    const v = measured[k];
    if (v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`measureCosts() returned ${k} = ${String(v)}`);
    model[k] = Math.round(v);
    measuredKeys.push(k);
  }
  const profile = {
    _comment: `measured by restorelab calibrate on ${os.hostname()} (Linux ${os.release()}, ${os.cpus().length} CPUs, placement ${placement}) at ${new Date().toISOString()}; keys not in _measured keep their defaults`,
    _measured: measuredKeys,
    ...Object.fromEntries(costModelKeys.map((k) => [k, model[k]])),
  };
  parseCostModel(profile, 'calibrate');
  return profile as unknown as CostProfile;
}

/** The profile as the JSON file `--cost-model` reads. */
export function costProfileText(profile: CostProfile): string {
  return JSON.stringify(profile, null, 2) + '\n';
}

/** Writes the profile; a file that cannot be written is a one-line UsageError. */
export function writeCostProfile(file: string, profile: CostProfile): void {
  try {
    fs.writeFileSync(file, costProfileText(profile));
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** `key=value` of every measured key, on one line. */
export function measuredSummary(profile: CostProfile): string {
  return profile._measured.map((k) => `${k}=${profile[k as keyof CostModel]}`).join(' ');
}
