/** What tests of backends and strategies share: `@restorelab/core/testing`. */
export * from './backend-contract';
export * from './describe-backend-contract';
export * from './tiny-workload';
