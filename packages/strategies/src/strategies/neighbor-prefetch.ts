/**
 * neighbor-prefetch — QEMU's trick from seed 000: "when we get a fault and send the requested
 * page, we start sending the pages directly after the requested page".
 *
 * A fault-time rule, not a reactive pipeline: the backend copies up to `window` lazy pages after
 * the faulting page (and before it with direction=both) in the same UFFDIO_COPY as the demand
 * page. The window stops at the VMA end and at the first page that is present, in flight or a
 * zero page. Nothing waits on JavaScript, so sim and Linux take the same decisions.
 *
 * Params:
 *   window     pages copied with each faulting page, each way (default 8, 1..4096)
 *   direction  forward | both (default forward)
 */
import { defineStrategy, PlanContext, Strategy } from '@restorelab/core';
import { BuiltInStrategy } from '../support/built-in-strategy';

export type NeighborDirection = 'forward' | 'both';

export class NeighborPrefetch implements Strategy {
  constructor(
    readonly window: number,
    readonly direction: NeighborDirection,
  ) {}

  plan(ctx: PlanContext): void {
    ctx.faultWindow({ forward: this.window, backward: this.direction === 'both' ? this.window : 0 });
  }
}

export const neighborPrefetch: BuiltInStrategy = defineStrategy({
  name: 'neighbor-prefetch',
  description: 'copy the pages next to the faulting page in the same UFFDIO_COPY (QEMU, seed 000)',
  params: {
    window: { type: 'integer', default: 8, minimum: 1, maximum: 4096, description: 'pages copied with each faulting page, each way' },
    direction: { type: 'string', default: 'forward', enum: ['forward', 'both'], description: 'forward: after the faulting page; both: before it too' },
  },
  deterministic: true,
  create: ({ window, direction }) => new NeighborPrefetch(window, direction),
});
