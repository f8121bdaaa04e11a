import { CostMeter, Placement } from '@restorelab/backend-linux';
import { CostModel, defaultCostModel, parseCostModel } from '@restorelab/backend-sim';
import { costProfile, CostProfile } from './calibrate';
import { Calibrator } from './fidelity';

/** A CostMeter as fidelity's calibrator; profile() is what `calibrate --out` would have written. */
export class InlineCalibrator implements Calibrator {
  private constructor(
    private readonly meter: CostMeter,
    private readonly placement: Placement,
  ) {}

  static open(placement: Placement): InlineCalibrator {
    return new InlineCalibrator(CostMeter.open({ placement }), placement);
  }

  round(): Promise<void> {
    return this.meter.round();
  }

  profile(): CostProfile {
    return costProfile(this.meter.result(), defaultCostModel, this.placement);
  }

  model(): CostModel {
    return parseCostModel(this.profile(), 'the calibration');
  }

  get rounds(): number {
    return this.meter.rounds;
  }

  close(): void {
    this.meter.close();
  }
}
