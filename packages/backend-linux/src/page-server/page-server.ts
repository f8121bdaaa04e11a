import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkLatencyUs, GeneratedPagesWriter, Image, MIN_LINK_BANDWIDTH, PagesCache, pagesCacheFromEnv, UsageError } from '@restorelab/core';
import { nativePagesWriter } from '../generated-pages';
import { buildDir, loadNative } from '../native-binding';
import { writePagesFile } from '../run-files';
import { isLoopback, PAGE_SERVER_TOKEN_ENV } from './page-source';

export const PAGE_SERVER_BINARY = path.join(buildDir, 'restorelab-page-server');
/** How long the server binary gets to say where it listens. */
const LISTEN_TIMEOUT_MS = 5000;

export interface PageServerOptions {
  readonly image: Image;
  readonly host: string;
  /** 0: any free port (the answer says which). */
  readonly port: number;
  /** One way, per request and per answer. */
  readonly latencyUs?: number;
  /** Bytes per second per connection; 0 or absent: unshaped. */
  readonly bandwidth?: number;
  /** One link of `bandwidth` for every connection, the answers in flight sharing it fairly. */
  readonly sharedBandwidth?: boolean;
  readonly token?: string;
  readonly maxClients?: number;
  /** Where a generated image's pages are written or found (default: the pages cache a Linux run uses; null: the server's own directory). */
  readonly pagesCache?: PagesCache | null;
}

export interface RunningPageServer {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** Settles when the server process ends (its exit code, or the signal that ended it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Stops it (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}


/**
 * Serves an image's pages (the same blob a Linux run restores from) with the native page server.
 * Refuses a non-loopback address without a token.
 */
export async function startPageServer(o: PageServerOptions): Promise<RunningPageServer> {
  if (!isLoopback(o.host) && !o.token)
    throw new UsageError(`a page server on ${o.host} (not loopback) needs a shared token: --token-file FILE or ${PAGE_SERVER_TOKEN_ENV}`);
  const latencyUs = checkLatencyUs(o.latencyUs ?? 0);
  const bandwidth = o.bandwidth ?? 0;
  if (!Number.isSafeInteger(bandwidth) || (bandwidth !== 0 && bandwidth < MIN_LINK_BANDWIDTH)) throw new UsageError(`--bandwidth must be at least 1mbit (${MIN_LINK_BANDWIDTH} bytes/s), got ${bandwidth} bytes/s`);
  if (!fs.existsSync(PAGE_SERVER_BINARY)) throw new Error(`the page server is not built (missing ${PAGE_SERVER_BINARY}); rebuild the native addon`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-serve-'));
  let child: ChildProcess | undefined;
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const native = loadNative();
    const writeGenerated: GeneratedPagesWriter | undefined = native.ok ? nativePagesWriter(native.binding) : undefined;
    const cache = o.pagesCache === undefined ? pagesCacheFromEnv(process.env, writeGenerated) : o.pagesCache;
    writePagesFile(o.image, dir, cache, writeGenerated);
    const env = { ...process.env };
    delete env[PAGE_SERVER_TOKEN_ENV];
    if (o.token) env[PAGE_SERVER_TOKEN_ENV] = o.token;
    const args = [path.join(dir, 'pages.bin'), String(o.image.blobBytes), String(o.image.pageSize), o.host, String(o.port), String(latencyUs), String(bandwidth), String(o.maxClients ?? 16), o.sharedBandwidth ? '1' : '0'];
    const proc = spawn(PAGE_SERVER_BINARY, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4096)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
      proc.on('exit', (code, signal) => {
        cleanup();
        resolve({ code, signal, stderr });
      });
      // it could not be started at all (EACCES...): as an exit that says why
      proc.on('error', (e) => {
        cleanup();
        resolve({ code: null, signal: null, stderr: `restorelab-page-server: ${e.message}` });
      });
    });
    const where = await new Promise<{ host: string; port: number }>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('the page server did not start listening within 5 s')), LISTEN_TIMEOUT_MS);
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /^listening \[?([0-9a-fA-F:.]+)\]?:(\d+)\n/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ host: m[1], port: Number(m[2]) });
        }
      });
      void exited.then((e) => {
        clearTimeout(timer);
        reject(new UsageError(`the page server did not start: ${e.stderr.trim().split('\n').pop()?.replace(/^restorelab-page-server: /, '') || `exit ${e.code ?? e.signal}`}`));
      });
    });
    const stop = async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(t);
      }
    };
    return { ...where, pid: proc.pid!, exited, stop };
  } catch (e) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    cleanup();
    throw e;
  }
}
