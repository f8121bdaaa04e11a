/**
 * demand-only — the baseline every other strategy is compared with.
 *
 * No plan, no prefetch: each page the workload touches faults and is copied on its own (pages
 * without content are mapped with UFFDIO_ZEROPAGE by the backend). Pages never touched are never
 * restored. The number of demand faults here is what `coverage` is measured against.
 *
 * Params: none.
 */
import { Strategy } from '@restorelab/core';
import { BuiltInStrategy } from '../support/built-in-strategy';
import { readParams } from '../support/params';

export class DemandOnly implements Strategy {}

const NAME = 'demand-only';

export const demandOnly: BuiltInStrategy = {
  name: NAME,
  description: 'baseline: copy each page when it faults, nothing else',
  params: {},
  deterministic: true,
  create(params) {
    readParams(NAME, {}, params);
    return new DemandOnly();
  },
};
