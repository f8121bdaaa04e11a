import { UsageError } from '../errors/usage-error';

/**
 * The link between a restore and its page source (post-copy over a network): what a page server
 * shapes on Linux (restorelab serve --latency-us --bandwidth) and what the simulator models.
 */
export interface Link {
  /** One way, added to each request and to each answer. */
  readonly latencyUs: number;
  /** Bytes per second per channel; 0: as fast as the machine goes. */
  readonly bandwidth: number;
  /** 2: urgent (demand faults, fault-time windows) and background apart; 1: one for both, a demand page waits behind a background answer. */
  readonly channels: 1 | 2;
  /**
   * The channels cross one link of `bandwidth`, answers in flight sharing it fairly (as TCP flows
   * on one link do, about), instead of a link of `bandwidth` each.
   */
  readonly sharedBandwidth?: boolean;
}

export const MAX_LINK_LATENCY_US = 100_000;
/** Pages one request to a page server may ask for (native/common/page-server-protocol.h RL_PS_MAX_REQUEST_PAGES). */
export const MAX_LINK_REQUEST_PAGES = 512;
/** 1 Mbit/s: an answer of the largest request still comes within seconds. */
export const MIN_LINK_BANDWIDTH = 125_000;

const BANDWIDTH_UNITS: Readonly<Record<string, number>> = {
  kbit: 1e3 / 8, mbit: 1e6 / 8, gbit: 1e9 / 8,
  kb: 1e3, mb: 1e6, gb: 1e9,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
};

/** `1gbit`, `200mbit`, `1Gbps`, `125MB`, `1GiB` (per second) or plain bytes per second; 0 or `off`: unshaped. */
export function parseBandwidth(text: string, what = '--bandwidth'): number {
  if (text === 'off' || text === '0') return 0;
  const m = /^(0|[1-9][0-9]*)(\.[0-9]+)?([a-zA-Z]*(?:\/s)?)$/.exec(text);
  const unit = m ? m[3].toLowerCase().replace(/\/s$/, '').replace(/bps$/, 'bit') : '';
  const scale = m && unit === '' ? 1 : BANDWIDTH_UNITS[unit];
  const value = m && scale !== undefined ? Math.round(Number(m[1] + (m[2] ?? '')) * scale) : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) throw new UsageError(`${what} must be a rate such as 1gbit, 200mbit, 125MB or bytes per second, got '${text}'`);
  if (value < MIN_LINK_BANDWIDTH) throw new UsageError(`${what} must be at least 1mbit (${MIN_LINK_BANDWIDTH} bytes/s), got '${text}'`);
  return value;
}

/** A rate as tables print it: 1 Gbit/s, 200 Mbit/s. */
export function formatBandwidth(bytesPerS: number): string {
  if (bytesPerS === 0) return 'unshaped';
  const bits = bytesPerS * 8;
  return bits >= 1e9 ? `${+(bits / 1e9).toFixed(3)} Gbit/s` : `${+(bits / 1e6).toFixed(3)} Mbit/s`;
}

export function checkLatencyUs(v: number, what = '--latency-us'): number {
  if (!Number.isSafeInteger(v) || v < 0 || v > MAX_LINK_LATENCY_US) throw new UsageError(`${what} must be an integer from 0 to ${MAX_LINK_LATENCY_US}, got ${v}`);
  return v;
}

/** `latency-us=200,bandwidth=1gbit,channels=2[,shared=1]` (any of them; the others 0, unshaped, 2, per channel). */
export function parseLink(text: string): Link {
  let latencyUs = 0;
  let bandwidth = 0;
  let channels: 1 | 2 = 2;
  let sharedBandwidth = false;
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    if (seen.has(k)) throw new UsageError(`link '${text}': '${k}' given twice`);
    seen.add(k);
    if (k === 'latency-us' && /^(0|[1-9][0-9]*)$/.test(v)) latencyUs = checkLatencyUs(Number(v), `link '${text}': latency-us`);
    else if (k === 'bandwidth') bandwidth = parseBandwidth(v, `link '${text}': bandwidth`);
    else if (k === 'channels' && (v === '1' || v === '2')) channels = Number(v) as 1 | 2;
    else if (k === 'shared' && (v === '0' || v === '1')) sharedBandwidth = v === '1';
    else throw new UsageError(`bad link '${text}': expected latency-us=N,bandwidth=RATE,channels=1|2[,shared=1] (e.g. latency-us=200,bandwidth=1gbit)`);
  }
  return sharedBandwidth ? { latencyUs, bandwidth, channels, sharedBandwidth } : { latencyUs, bandwidth, channels };
}

/** The spec parseLink reads back. */
export function formatLink(l: Link): string {
  const rate = l.bandwidth === 0 ? 'off' : l.bandwidth % (1e9 / 8) === 0 ? `${l.bandwidth / (1e9 / 8)}gbit` : l.bandwidth % (1e6 / 8) === 0 ? `${l.bandwidth / (1e6 / 8)}mbit` : String(l.bandwidth);
  return `latency-us=${l.latencyUs},bandwidth=${rate},channels=${l.channels}${l.sharedBandwidth ? ',shared=1' : ''}`;
}

/** When an answer of `bytes` asked for at `sentNs` is in, on an idle channel of the link (extraNs: the request's own overhead). */
export function linkAnswerNs(l: Link, bytes: number, extraNs = 0): number {
  return 2 * l.latencyUs * 1000 + (l.bandwidth > 0 ? Math.round((bytes * 1e9) / l.bandwidth) : 0) + extraNs;
}
