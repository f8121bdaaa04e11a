import * as path from 'path';
import { Argv, CommandModule } from 'yargs';
import { captureProcess } from '@restorelab/backend-linux';
import { ExitError } from '../errors';
import { imageSummary } from '../format/image-summary';
import { interruptOnSignals } from './interrupt';
import { JsonArgs, print, printJson, withJson } from './common-options';

interface CaptureArgs extends JsonArgs {
  pid: number;
  out: string;
  trace?: string;
}

export const captureCommandModule: CommandModule<object, CaptureArgs> = {
  command: 'capture <out>',
  describe: "write an image of a running process's private anonymous memory (stopped while it is read, resumed after)",
  builder: (y: Argv) =>
    withJson(
      y
        .positional('out', { type: 'string', describe: 'the image directory to write' })
        .option('pid', { type: 'number', demandOption: true, requiresArg: true, describe: 'the process to capture' })
        .option('trace', { type: 'string', requiresArg: true, describe: `a trace of the same program (its addresses), kept as the image's trace` }),
    ) as unknown as Argv<CaptureArgs>,
  handler: async (args) => {
    const interrupt = interruptOnSignals();
    try {
      const r = await captureProcess(args.pid, path.resolve(args.out), { trace: args.trace, signal: interrupt.signal });
      const { image, files, ...figures } = r;
      if (args.json) printJson({ ...figures, manifest: files.manifestPath, blob: files.blobPath, sha256: files.sha256 });
      else
        print(
          [
            `captured process ${args.pid} (${r.command}): ${r.vmas} private anonymous VMAs, ${r.pages} pages: ${r.contentPages} with content, ${r.zeroPagesRead} read as zero, ${r.untouchedPages} never touched; ${r.hugepageVmas} VMAs with MADV_HUGEPAGE; stopped for ${r.stoppedMs.toFixed(1)} ms${r.wasStopped ? ' (it was stopped already and stays so)' : ', then resumed'}`,
            imageSummary(image),
            `wrote ${files.manifestPath}`,
            `wrote ${files.blobPath} (sha256 ${files.sha256})`,
            `run it: --workload image:${args.out}${r.trace ? ` (with the trace ${r.trace})` : ' (no trace: no accesses; trace=FILE adds one)'}`,
          ].join('\n'),
        );
    } finally {
      interrupt.release();
    }
    if (interrupt.exitCode !== undefined) throw new ExitError(interrupt.exitCode, 'interrupted');
  },
};
