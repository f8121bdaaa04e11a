import { didYouMean } from '../errors/did-you-mean';
import { ContributionProvider } from '../di/contribution-provider';
import { Workload } from '../model/workload';
import { ParsedSpec, parseSpec, resolveParams, specName } from '../spec/spec-parser';
import { UsageError } from '../errors/usage-error';
import { WorkloadContribution } from './workload-contribution';
import { checkWorkloadFits, commonWorkloadSize, WorkloadSize } from './workload-size';

/** Asked, before a workload is built, whether one of this size can be held here (throws UsageError if not). */
export type WorkloadFits = (size: WorkloadSize, what: string) => void;

export const WorkloadRegistry = Symbol('WorkloadRegistry');
export interface WorkloadRegistry {
  all(): readonly WorkloadContribution[];
  get(name: string): WorkloadContribution | undefined;
  /**
   * Builds `zipf:pages=65536,accesses=200000,theta=0.99,seed=1`. Throws UsageError. `fits` is
   * asked, with the size worked out from the parameters, before anything is built.
   */
  create(spec: string, fits?: WorkloadFits): Workload;
  /** A spec split into its name and raw parameters, as create() reads it. */
  parse(spec: string): ParsedSpec;
}

export class DefaultWorkloadRegistry implements WorkloadRegistry {
  constructor(private readonly provider: ContributionProvider<WorkloadContribution>) {}
  all(): readonly WorkloadContribution[] {
    return this.provider.getContributions();
  }
  get(name: string): WorkloadContribution | undefined {
    return this.all().find((c) => c.name === name);
  }
  parse(text: string): ParsedSpec {
    return parseSpec(text, 'workload', this.get(specName(text, 'workload'))?.positional);
  }
  create(text: string, fits?: WorkloadFits): Workload {
    const spec = this.parse(text);
    const c = this.get(spec.name);
    if (!c) {
      const known = this.all().map((x) => x.name);
      throw new UsageError(`unknown workload '${spec.name}' (known: ${known.join(', ')})${didYouMean(spec.name, known) || '; a plugin\'s workload needs --plugin PATH'}`);
    }
    const params = resolveParams(c.params, spec.raw, `workload ${c.name}`);
    const canonical = canonicalSpec(c.name, params);
    const size = c.size ? c.size(params) : 'pages' in c.params ? commonWorkloadSize(params, c.name) : undefined;
    if (size) {
      checkWorkloadFits(size, `workload ${canonical}`);
      fits?.(size, `workload ${canonical}`);
    }
    return c.create(params, canonical);
  }
}

/** The spec with every parameter spelled out, so a log names exactly what ran. */
export function canonicalSpec(name: string, params: Readonly<Record<string, unknown>>): string {
  const kv = Object.entries(params).map(([k, v]) => `${k}=${v}`);
  return kv.length ? `${name}:${kv.join(',')}` : name;
}
