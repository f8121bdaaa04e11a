import { builtInWorkloads, DefaultWorkloadRegistry, Workload } from '@restorelab/core';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });

/** A built-in workload from its spec, e.g. `seq:pages=1024`. */
export function workload(spec: string): Workload {
  return registry.create(spec);
}
