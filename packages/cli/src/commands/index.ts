import { CommandModule } from 'yargs';
import { benchCommandModule } from './bench-command';
import { doctorCommandModule } from './doctor-command';
import { imageCommandModule } from './image-command';
import { newCommandModule } from './new-command';
import { replayCommandModule } from './replay-command';
import { runCommandModule } from './run-command';
import { strategiesCommandModule } from './strategies-command';
import { workloadsCommandModule } from './workloads-command';

/** Every `restorelab` command, one module per file. */
export const commands: CommandModule[] = [
  runCommandModule,
  replayCommandModule,
  strategiesCommandModule,
  workloadsCommandModule,
  imageCommandModule,
  doctorCommandModule,
  benchCommandModule,
  newCommandModule,
] as CommandModule[];
