import { Argv, CommandModule } from 'yargs';
import { defaultCostModel } from '@restorelab/backend-sim';
import { DEFAULT_PLACEMENT, measureCosts, Placement } from '@restorelab/backend-linux';
import { calibrate, costProfileText, measuredSummary, writeCostProfile } from '../experiment/calibrate';
import { print, printErr, withPlacement } from './common-options';

interface CalibrateArgs {
  out?: string;
  placement?: Placement;
}

function builder(y: Argv): Argv<CalibrateArgs> {
  return withPlacement(y).option('out', {
    type: 'string',
    requiresArg: true,
    describe: 'write the cost-model profile here (default: print it); use it with --cost-model',
  }) as unknown as Argv<CalibrateArgs>;
}

/** Measures the Linux costs the simulator models and writes a profile for --cost-model. */
export async function runCalibrateCommand(args: CalibrateArgs): Promise<void> {
  const placement = args.placement ?? DEFAULT_PLACEMENT;
  const profile = await calibrate(defaultCostModel, () => measureCosts({ placement }), placement);
  const summary = measuredSummary(profile);
  if (args.out) {
    writeCostProfile(args.out, profile);
    print(`measured ${summary}\nwrote ${args.out} (use it with --cost-model ${args.out})`);
  } else {
    printErr(`measured ${summary}`);
    print(costProfileText(profile));
  }
}

export const calibrateCommand: CommandModule<object, CalibrateArgs> = {
  command: 'calibrate',
  describe: "measure the Linux costs of faults and copies here and write the simulator's cost model",
  builder,
  handler: runCalibrateCommand,
};

export default calibrateCommand;
