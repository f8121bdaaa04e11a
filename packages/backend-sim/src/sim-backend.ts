import { BackendAvailability, BackendRunOptions, RestoreBackend, BackendSession } from '@restorelab/core';
import { CostModel, defaultCostModel } from './cost-model';
import { SimRun } from './sim-run';

/** The discrete-event simulator: a virtual clock and a cost model instead of userfaultfd. */
export class SimBackend implements RestoreBackend {
  readonly name = 'sim';
  readonly description = 'discrete-event simulator on a virtual clock with a calibrated cost model';
  readonly clock = 'virtual';

  constructor(readonly costModel: CostModel = defaultCostModel) {}

  async availability(): Promise<BackendAvailability> {
    return { available: true };
  }

  /** The cost model, recorded in each log's metadata (backendInfo). */
  describe(): Readonly<Record<string, unknown>> {
    return { ...this.costModel };
  }

  run(session: BackendSession, options: BackendRunOptions): Promise<void> {
    return new SimRun(session, this.costModel, options.link, options.copyEngine).run(options);
  }
}
