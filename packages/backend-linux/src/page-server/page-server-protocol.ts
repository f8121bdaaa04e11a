/**
 * The page server's wire protocol, TypeScript twin of native/common/page-server-protocol.h
 * (src/protocol-table.test.ts compares the two). Little-endian.
 */
import { MAX_LINK_REQUEST_PAGES } from '@restorelab/core';

export const PS_MAGIC = 0x53504c52;
export const PS_VERSION = 1;
export const PsChannel = { Urgent: 0, Background: 1, Shared: 2 } as const;
export const PsStatus = { Ok: 0, BadToken: 1 } as const;
export const PS_TOKEN_MAX = 64;
export const PS_MAX_REQUEST_PAGES = MAX_LINK_REQUEST_PAGES;
export const PS_HELLO_TIMEOUT_MS = 1000;
export const PS_REPLY_GRACE_MS = 1000;

export const PS_HELLO_BYTES = 72;
export const PS_HELLO = { magic: 0, version: 4, channel: 6, token_len: 7, token: 8 } as const;
export const PS_WELCOME_BYTES = 40;
export const PS_WELCOME = { magic: 0, status: 4, blob_bytes: 8, page_size: 16, pad: 20, latency_ns: 24, bandwidth_bps: 32 } as const;
export const PS_REQUEST_BYTES = 16;
export const PS_REQUEST = { offset: 0, bytes: 8 } as const;

/** A client's hello (tests speak the protocol with it). */
export function encodeHello(channel: number, token = ''): Buffer {
  const b = Buffer.alloc(PS_HELLO_BYTES);
  const t = Buffer.from(token, 'utf8');
  b.writeUInt32LE(PS_MAGIC, PS_HELLO.magic);
  b.writeUInt16LE(PS_VERSION, PS_HELLO.version);
  b.writeUInt8(channel, PS_HELLO.channel);
  b.writeUInt8(Math.min(t.length, 255), PS_HELLO.token_len);
  t.copy(b, PS_HELLO.token, 0, Math.min(t.length, PS_TOKEN_MAX));
  return b;
}

export interface Welcome {
  readonly magic: number;
  readonly status: number;
  readonly blobBytes: number;
  readonly pageSize: number;
  readonly latencyNs: number;
  readonly bandwidth: number;
}

export function decodeWelcome(b: Buffer): Welcome {
  return {
    magic: b.readUInt32LE(PS_WELCOME.magic),
    status: b.readUInt32LE(PS_WELCOME.status),
    blobBytes: Number(b.readBigUInt64LE(PS_WELCOME.blob_bytes)),
    pageSize: b.readUInt32LE(PS_WELCOME.page_size),
    latencyNs: Number(b.readBigUInt64LE(PS_WELCOME.latency_ns)),
    bandwidth: Number(b.readBigUInt64LE(PS_WELCOME.bandwidth_bps)),
  };
}

export function encodeRequest(offset: bigint | number, bytes: bigint | number): Buffer {
  const b = Buffer.alloc(PS_REQUEST_BYTES);
  b.writeBigUInt64LE(BigInt(offset), PS_REQUEST.offset);
  b.writeBigUInt64LE(BigInt(bytes), PS_REQUEST.bytes);
  return b;
}
