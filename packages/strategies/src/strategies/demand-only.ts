/**
 * demand-only — the baseline every other strategy is compared with.
 *
 * No plan, no prefetch: each page the workload touches faults and is copied on its own (pages
 * without content are mapped with UFFDIO_ZEROPAGE by the backend). Pages never touched are never
 * restored. The number of demand faults here is what `coverage` is measured against.
 *
 * Params: none.
 */
import { defineStrategy, Strategy } from '@restorelab/core';
import { BuiltInStrategy } from '../support/built-in-strategy';

export class DemandOnly implements Strategy {}

export const demandOnly: BuiltInStrategy = {
  ...defineStrategy({
    name: 'demand-only',
    description: 'baseline: copy each page when it faults, nothing else',
    params: {},
    deterministic: true,
    create: () => new DemandOnly(),
  }),
};
