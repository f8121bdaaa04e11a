/** A built-in workload from its spec, e.g. `seq:pages=4096` (tests use this name). */
export { builtIn as workloadFromSpec } from '../bench';
