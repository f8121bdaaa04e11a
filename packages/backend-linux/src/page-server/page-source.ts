import * as net from 'net';
import { fileError, readRegularFile, UsageError } from '@restorelab/core';
import { PS_TOKEN_MAX } from './page-server-protocol';

/** Where a Linux restore's copies read pages from, instead of the local pages file. */
export interface PageSourceOptions {
  readonly host: string;
  readonly port: number;
  /** 2: urgent (demand faults, fault-time windows) and background on their own connections; 1: one connection for both. */
  readonly channels: 1 | 2;
  /** The server's shared token, if it has one. */
  readonly token?: string;
}

/** The environment variable a page server's token may come from (on both sides). */
export const PAGE_SERVER_TOKEN_ENV = 'RESTORELAB_PAGE_SERVER_TOKEN';

/** `tcp://HOST:PORT` (an IPv6 host in brackets) as a host and a port; one-line errors. */
export function parseSourceUrl(url: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})$/.exec(url);
  if (!m) throw new UsageError(`--source must be tcp://HOST:PORT, got '${url}'`);
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new UsageError(`--source port must be 1..65535, got ${m[2]}`);
  if (net.isIP(host) === 0 && !/^[A-Za-z0-9.-]+$/.test(host)) throw new UsageError(`--source host '${host}' is neither an address nor a host name`);
  return { host, port };
}

/** `HOST:PORT` of --listen: a numeric address (port 0: any free port). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d{1,5})$/.exec(text);
  const host = m ? (m[1].startsWith('[') ? m[1].slice(1, -1) : m[1]) : '';
  if (!m || net.isIP(host) === 0 || Number(m[2]) > 65535) throw new UsageError(`--listen must be ADDRESS:PORT with a numeric address (127.0.0.1:7070, [::1]:7070), got '${text}'`);
  return { host, port: Number(m[2]) };
}

/** 127.0.0.0/8 and ::1: a page server may listen there without a token. */
export function isLoopback(host: string): boolean {
  if (net.isIPv4(host)) return host.split('.')[0] === '127';
  return host === '::1' || /^::ffff:127\./i.test(host);
}

/**
 * The shared token: the first line of a file (a regular file, at most a few bytes), or the
 * environment. Never a command-line argument, where every user of the machine can read it.
 */
export function readToken(file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  let token: string | undefined;
  if (file !== undefined) {
    try {
      token = readRegularFile(file, 4096).toString('utf8').split('\n')[0].replace(/\r$/, '');
    } catch (e) {
      throw new UsageError(`cannot read token file ${file}: ${fileError(e)}`);
    }
  }
  else token = env[PAGE_SERVER_TOKEN_ENV];
  if (token === undefined) return undefined;
  const where = file !== undefined ? `token file ${file}` : PAGE_SERVER_TOKEN_ENV;
  if (token.length === 0) throw new UsageError(`${where} is empty`);
  if (Buffer.byteLength(token) > PS_TOKEN_MAX || !/^[\x21-\x7e]+$/.test(token))
    throw new UsageError(`${where}: a token is 1 to ${PS_TOKEN_MAX} printable ASCII characters without spaces`);
  return token;
}

