import { Argv, CommandModule } from 'yargs';
import { formatBandwidth, MAX_LINK_LATENCY_US, parseBandwidth, UsageError } from '@restorelab/core';
import { parseListen, readToken, startPageServer } from '@restorelab/backend-linux';
import { createContainer } from '../container';
import { ExitError } from '../errors';
import { availableBackend, createWorkload, fitsBackend } from '../run-one';
import { print, printErr, seedOption } from './common-options';

interface ServeArgs {
  image?: string;
  workload?: string;
  seed: number;
  listen: string;
  'latency-us': number;
  bandwidth: string;
  'shared-bandwidth': boolean;
  'token-file'?: string;
  'max-clients': number;
}

function builder(y: Argv): Argv<ServeArgs> {
  return y
    .positional('image', { type: 'string', describe: 'an image directory (image --out, image capture, image import)' })
    .option('workload', { type: 'string', requiresArg: true, describe: 'serve the image of this workload, the one run --workload restores' })
    .option('seed', seedOption('seed of the workload, as run --seed'))
    .option('listen', { type: 'string', default: '127.0.0.1:7070', requiresArg: true, describe: 'ADDRESS:PORT (numeric; port 0: any free one). Not loopback: needs a token' })
    .option('latency-us', { type: 'number', default: 0, requiresArg: true, describe: `link shaper: one-way latency of each request and each answer, 0..${MAX_LINK_LATENCY_US}` })
    .option('bandwidth', { type: 'string', default: 'off', requiresArg: true, describe: 'link shaper: bandwidth per connection (channel), e.g. 1gbit, 200mbit, 125MB; off: unshaped' })
    .option('shared-bandwidth', {
      type: 'boolean',
      default: false,
      describe: "link shaper: every connection crosses one link of --bandwidth, the answers in flight sharing it fairly (else each channel has its own)",
    })
    .option('token-file', { type: 'string', requiresArg: true, describe: 'the shared token, first line of this file (else RESTORELAB_PAGE_SERVER_TOKEN; never on the command line)' })
    .option('max-clients', { type: 'number', default: 16, requiresArg: true, describe: 'connections served at once (one per channel of each restore)' })
    .check((a) => {
      if ((a.image === undefined) === (a.workload === undefined)) throw new UsageError('serve needs an IMAGE directory or --workload W (one of them)');
      if (!(Number.isSafeInteger(a['max-clients']) && a['max-clients'] >= 1 && a['max-clients'] <= 1024)) throw new UsageError(`--max-clients must be an integer from 1 to 1024, got ${a['max-clients']}`);
      return true;
    }) as unknown as Argv<ServeArgs>;
}

async function serve(args: ServeArgs): Promise<void> {
  const { host, port } = parseListen(args.listen);
  const bandwidth = parseBandwidth(args.bandwidth);
  const token = readToken(args['token-file'], process.env);
  const container = await createContainer();
  // the pages are laid out as a Linux run lays them out, from the same workload
  const backend = await availableBackend(container, 'linux');
  const workload = createWorkload(container, args.workload ?? `image:${args.image}`, args.seed, fitsBackend(backend));
  const server = await startPageServer({ image: workload.image, host, port, latencyUs: args['latency-us'], bandwidth, sharedBandwidth: args['shared-bandwidth'], token, maxClients: args['max-clients'] });
  const at = server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
  const link = args['latency-us'] === 0 && bandwidth === 0 ? 'unshaped' : `${args['latency-us']} us one way, ${formatBandwidth(bandwidth)} ${args['shared-bandwidth'] ? 'shared by the channels' : 'per channel'}`;
  print(`serving ${workload.spec} (${workload.image.blobBytes} bytes of pages) on tcp://${at}; link: ${link}${token ? '; token required' : ''}`);
  let stopping = false;
  const stop = () => {
    stopping = true;
    void server.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const end = await server.exited;
  process.removeListener('SIGINT', stop);
  process.removeListener('SIGTERM', stop);
  if (!stopping) {
    printErr(`page server ended: ${end.stderr.trim().split('\n').pop() || `exit ${end.code ?? end.signal}`}`);
    throw new ExitError(1);
  }
}

export const serveCommandModule: CommandModule<object, ServeArgs> = {
  command: 'serve [image]',
  describe: "serve an image's pages over TCP to `run --backend linux --source tcp://HOST:PORT`, through a link shaper",
  builder,
  handler: serve,
};
