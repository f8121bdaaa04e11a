import * as fs from 'fs';
import * as path from 'path';
import { Argv, CommandModule } from 'yargs';
import { checkFreeDisk, IMAGE_TRACE_FILE, readImage, readTrace, tracesForImage, UsageError, writeImage, writeWorkloadTrace } from '@restorelab/core';
import { createContainer } from '../container';
import { captureCommandModule } from './capture-command';
import { importCommandModule } from './import-command';
import { imageSummary } from '../format/image-summary';
import { createWorkload } from '../run-one';
import { print, seedOption } from './common-options';

interface ImageArgs {
  workload?: string;
  out?: string;
  check?: string;
  seed: number;
}

function builder(y: Argv): Argv<ImageArgs> {
  return y
    .positional('workload', { type: 'string', describe: 'workload spec whose image to write, e.g. zipf:pages=4096' })
    .option('out', { type: 'string', requiresArg: true, describe: `directory to write the image into (manifest.json, pages.bin and the workload's ${IMAGE_TRACE_FILE})` })
    .option('check', { type: 'string', requiresArg: true, describe: 'read an image directory, verify its checksums and summarize it' })
    .option('seed', seedOption("the workload's seed unless its spec sets one"))
    .example('$0 image zipf:pages=4096 --out img', 'write the image of a workload')
    .example('$0 image --check img', 'verify an image')
    .example('$0 image capture --pid 1234 img', 'an image of a running process')
    .example('$0 image import --format criu dump img', 'an image of a criu dump')
    .check((a) => {
      if (a.check !== undefined) {
        if (a.workload !== undefined || a.out !== undefined) throw new UsageError('image --check DIR takes no workload and no --out');
      } else if (a.workload === undefined || a.out === undefined) {
        throw new UsageError('image needs WORKLOAD --out DIR, or --check DIR');
      }
      return true;
    }, false)
    .command(captureCommandModule)
    .command(importCommandModule) as unknown as Argv<ImageArgs>;
}

export async function imageCommand(args: ImageArgs): Promise<void> {
  if (args.check !== undefined) {
    const image = readImage(path.resolve(args.check));
    try {
      const lines = [imageSummary(image), `checksums ok: manifest page flags and pages blob sha256 ${image.files.sha256}`];
      const tracePath = path.join(image.dir, IMAGE_TRACE_FILE);
      if (fs.existsSync(tracePath)) {
        const traces = tracesForImage(readTrace(tracePath), image);
        lines.push(`trace ${IMAGE_TRACE_FILE}: ${traces.reduce((n, t) => n + t.page.length, 0)} accesses of ${traces.length} processes, every one inside the image's VMAs`);
      }
      print(lines.join('\n'));
    } finally {
      image.close();
    }
    return;
  }
  const container = await createContainer();
  const out = path.resolve(args.out!);
  const workload = createWorkload(container, args.workload!, args.seed, (size, what) => checkFreeDisk(out, size.contentBytes, `the image of ${what}`));
  const files = writeImage(workload.image, out);
  const tracePath = path.join(out, IMAGE_TRACE_FILE);
  writeWorkloadTrace(workload, tracePath);
  print(`${imageSummary(workload.image)}\nwrote ${files.manifestPath}\nwrote ${files.blobPath} (sha256 ${files.sha256})\nwrote ${tracePath} (run it: --workload image:${args.out})`);
}

export const imageCommandModule: CommandModule<object, ImageArgs> = {
  command: 'image [workload]',
  describe: "write a workload's image to a directory, check one, or capture a running process's (image capture)",
  builder,
  handler: imageCommand,
};
