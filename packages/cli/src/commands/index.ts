import { CommandModule } from 'yargs';
import { benchCommandModule } from './bench-command';
import { calibrateCommand } from './calibrate-command';
import { compareCommand } from './compare-command';
import { criuLazyPagesCommandModule } from './criu-lazy-pages-command';
import { doctorCommandModule } from './doctor-command';
import { fidelityCommand } from './fidelity-command';
import { imageCommandModule } from './image-command';
import { logTablesCommand } from './log-tables-command';
import { matrixCommand } from './matrix-command';
import { mergeCommand } from './merge-command';
import { newCommandModule } from './new-command';
import { replayCommandModule } from './replay-command';
import { reportCommand } from './report-command';
import { runCommandModule } from './run-command';
import { serveCommandModule } from './serve-command';
import { snapshotCommandModule } from './snapshot-command';
import { strategiesCommandModule } from './strategies-command';
import { traceCommandModule } from './trace-command';
import { workloadsCommandModule } from './workloads-command';

/** Every `restorelab` command, one module per file. */
export const commands: CommandModule[] = [
  runCommandModule,
  replayCommandModule,
  compareCommand,
  logTablesCommand,
  matrixCommand,
  mergeCommand,
  reportCommand,
  strategiesCommandModule,
  workloadsCommandModule,
  imageCommandModule,
  criuLazyPagesCommandModule,
  serveCommandModule,
  snapshotCommandModule,
  traceCommandModule,
  doctorCommandModule,
  calibrateCommand,
  fidelityCommand,
  benchCommandModule,
  newCommandModule,
] as CommandModule[];
