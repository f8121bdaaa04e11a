/** What tests of backends and strategies share: `@restorelab/core/testing`. */
export * from './backend-contract';
export * from './describe-backend-contract';
export * from './tiny-workload';
export * from './fuzz/mutate';
export * from './fuzz/fuzz-runner';
export * from './fuzz/core-fuzz-targets';
export { Rng } from '../workloads/random';
export * from './criu-test-dump';
