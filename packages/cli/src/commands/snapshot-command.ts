import * as path from 'path';
import { Argv, CommandModule } from 'yargs';
import { DEFAULT_SNAPSHOT_BUFFER_MIB, snapshotProcess } from '@restorelab/backend-linux';
import { ExitError } from '../errors';
import { imageSummary } from '../format/image-summary';
import { interruptOnSignals } from './interrupt';
import { JsonArgs, print, printJson, withJson } from './common-options';

interface SnapshotArgs extends JsonArgs {
  pid: number;
  out: string;
  'buffer-mib': number;
}

export const snapshotCommandModule: CommandModule<object, SnapshotArgs> = {
  command: 'snapshot <out>',
  describe: 'write a live snapshot of a running process: write-protected with userfaultfd, copied while it runs, its writes buffered',
  builder: (y: Argv) =>
    withJson(
      y
        .positional('out', { type: 'string', describe: 'the image directory to write' })
        .option('pid', { type: 'number', demandOption: true, requiresArg: true, describe: 'the process to snapshot' })
        .option('buffer-mib', {
          type: 'number',
          default: DEFAULT_SNAPSHOT_BUFFER_MIB,
          requiresArg: true,
          describe: 'pages a write fault copies wait here to be written out; when it is full the writer waits',
        })
        .example('$0 snapshot --pid 1234 --buffer-mib 8 snap', 'a consistent image of process 1234 without stopping it for the copy'),
    ) as unknown as Argv<SnapshotArgs>,
  handler: async (args) => {
    const interrupt = interruptOnSignals();
    let r;
    try {
      r = await snapshotProcess(args.pid, path.resolve(args.out), { bufferMib: args['buffer-mib'], signal: interrupt.signal });
    } catch (e) {
      if (interrupt.exitCode !== undefined) throw new ExitError(interrupt.exitCode, 'interrupted (the process runs on)');
      throw e;
    } finally {
      interrupt.release();
    }
    const { image, files, ...figures } = r;
    if (args.json) return printJson({ ...figures, manifest: files.manifestPath, blob: files.blobPath, sha256: files.sha256 });
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    print(
      [
        `snapshot of process ${args.pid} (${r.command}): ${r.vmas} private anonymous VMAs, ${r.pages} pages (${r.contentPages} with content, ${r.untouchedPages} never touched)`,
        `paused ${ms(r.pausedMs)} to write-protect, snapshot done in ${ms(r.snapshotMs)}; ${r.copiedBackground} pages copied in the background, ${r.copiedOnWrite} at a write fault, ${r.pagesCopiedTwice} twice`,
        `write faults ${r.writeFaults}: stalled ${ms(r.writeStallMs)} in all, ${ms(r.writeStallMaxMs)} at most; buffer peak ${r.peakBufferPages} of ${r.bufferPages} pages, full ${r.bufferFullWaits} times`,
        `huge pages of these mappings: ${r.hugePagesKiBBefore} KiB before, ${r.hugePagesKiBAfter === null ? 'the process has exited since' : `${r.hugePagesKiBAfter} KiB after`}`,
        imageSummary(image),
        `wrote ${files.manifestPath}`,
        `wrote ${files.blobPath} (sha256 ${files.sha256})`,
        `run it: --workload image:${args.out}`,
      ].join('\n'),
    );
  },
};
