import { builtInWorkloads, canonicalSpec, parseSpec, resolveParams, Workload } from '@restorelab/core';

/** A built-in workload from its spec, e.g. `seq:pages=4096` (tests only). */
export function workloadFromSpec(spec: string): Workload {
  const parsed = parseSpec(spec, 'workload');
  const c = builtInWorkloads.find((w) => w.name === parsed.name);
  if (!c) throw new Error(`no built-in workload '${parsed.name}'`);
  const params = resolveParams(c.params, parsed.raw, `workload ${c.name}`);
  return c.create(params, canonicalSpec(c.name, params));
}
