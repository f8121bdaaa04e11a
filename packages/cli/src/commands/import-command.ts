import * as path from 'path';
import { Argv, CommandModule } from 'yargs';
import { readCriuDump, writeImage } from '@restorelab/core';
import { imageSummary } from '../format/image-summary';
import { print } from './common-options';

interface ImportArgs {
  format: 'criu';
  dir: string;
  out: string;
  pid?: number;
}

export const importCommandModule: CommandModule<object, ImportArgs> = {
  command: 'import <dir> <out>',
  describe: "convert another tool's dump into an image (--format criu: a criu dump directory)",
  builder: (y: Argv) =>
    y
      .positional('dir', { type: 'string', describe: 'the dump directory' })
      .positional('out', { type: 'string', describe: 'the image directory to write' })
      .option('format', { choices: ['criu'] as const, demandOption: true, requiresArg: true, describe: 'criu: inventory, pstree, mm, pagemap and pages images of `criu dump`' })
      .option('pid', { type: 'number', requiresArg: true, describe: "the dump's process to import (needed when it holds several)" }) as unknown as Argv<ImportArgs>,
  handler: (args) => {
    const image = readCriuDump(path.resolve(args.dir), { pid: args.pid });
    try {
      const files = writeImage(image, path.resolve(args.out));
      print(`${imageSummary(image)}\nwrote ${files.manifestPath}\nwrote ${files.blobPath} (sha256 ${files.sha256})\nrun it: --workload image:${args.out}`);
    } finally {
      image.close();
    }
  },
};
