export * from './linux-backend';
export * from './linux-module';
export * from './doctor';
export * from './bench';
export { loadNative } from './native-binding';
export type { NativeLoad, NativeProbe, KernelCosts } from './native-binding';
export { PLACEMENTS, DEFAULT_PLACEMENT, parsePlacement, planCpus, allowedCpus } from './placement';
export type { Placement, CpuPlan } from './placement';
export * from './cost-meter';
