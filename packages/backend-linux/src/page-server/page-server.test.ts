import * as fs from 'fs';
import * as net from 'net';
import { PagesCache } from '@restorelab/core';
import { builtIn } from '../bench';
import { PAGE_SERVER_BINARY, RunningPageServer, startPageServer } from './page-server';
import { binaryMutants, Rng } from '@restorelab/core/testing';
import { decodeWelcome, encodeHello, encodeRequest, PS_HELLO_BYTES, PS_MAGIC, PS_MAX_REQUEST_PAGES, PS_REQUEST_BYTES, PS_WELCOME_BYTES, PsChannel, PsStatus } from './page-server-protocol';

/**
 * The page server against clients that follow the protocol and clients that do not: a bad request
 * closes that connection, and only that one; the server answers everyone else as before.
 */
const built = fs.existsSync(PAGE_SERVER_BINARY);
if (!built) console.warn(`page server tests skipped: ${PAGE_SERVER_BINARY} is not built`);
const describeBuilt = built ? describe : describe.skip;

const workload = builtIn('seq:pages=64,vmas=2');
const image = workload.image;
const PS = image.pageSize;

/** The bytes of the blob a Linux run restores from: each process's pages at its blob offset. */
function blobBytes(offset: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (const p of image.processes) {
    const first = p.blobOffset / PS;
    for (let i = 0; i < p.totalPages; i++) {
      const at = (first + i) * PS - offset;
      if (at < 0 || at >= bytes) continue;
      image.readPage(p.pid, i, out.subarray(at, at + PS));
    }
  }
  return out;
}

/** What the server must send for these bytes: a welcome for a valid hello, then each valid request's pages until the first invalid one. */
function expectedReply(bytes: Buffer): Buffer {
  if (bytes.length < PS_HELLO_BYTES) return Buffer.alloc(0);
  const ok = bytes.readUInt32LE(0) === PS_MAGIC && bytes.readUInt16LE(4) === 1 && bytes[6] <= PsChannel.Shared && bytes[7] === 0;
  if (!ok) return bytes[7] !== 0 && bytes.readUInt32LE(0) === PS_MAGIC && bytes.readUInt16LE(4) === 1 && bytes[6] <= PsChannel.Shared ? badToken() : Buffer.alloc(0);
  const out: Buffer[] = [welcome()];
  for (let at = PS_HELLO_BYTES; at + PS_REQUEST_BYTES <= bytes.length; at += PS_REQUEST_BYTES) {
    const offset = bytes.readBigUInt64LE(at);
    const n = bytes.readBigUInt64LE(at + 8);
    const blob = BigInt(image.blobBytes);
    const page = BigInt(PS);
    if (n === 0n || n > BigInt(PS_MAX_REQUEST_PAGES) * page || offset % page !== 0n || n % page !== 0n || offset > blob || n > blob - offset) break;
    out.push(blobBytes(Number(offset), Number(n)));
  }
  return Buffer.concat(out);
}

function welcome(status: number = PsStatus.Ok): Buffer {
  const w = Buffer.alloc(PS_WELCOME_BYTES);
  w.writeUInt32LE(PS_MAGIC, 0);
  w.writeUInt32LE(status, 4);
  if (status === PsStatus.Ok) w.writeBigUInt64LE(BigInt(image.blobBytes), 8);
  w.writeUInt32LE(PS, 16);
  return w;
}

/** This server has no token: a hello that brings one is refused with a welcome that says so (a token length past 64 too). */
const badToken = () => welcome(PsStatus.BadToken);

interface Client {
  readonly socket: net.Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves once the server closed the connection. */
  readonly closed: Promise<void>;
  waitFor(bytes: number, ms?: number): Promise<Buffer>;
}

function connect(server: RunningPageServer): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, server.host);
    let data = Buffer.alloc(0);
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (d) => (data = Buffer.concat([data, d])));
    socket.on('error', () => undefined);
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => data,
        closed,
        waitFor: async (bytes, ms = 3000) => {
          const t0 = Date.now();
          while (data.length < bytes && Date.now() - t0 < ms && !socket.destroyed) await new Promise((r) => setTimeout(r, 5));
          return data;
        },
      }),
    );
    socket.once('error', reject);
  });
}

async function hello(server: RunningPageServer, token = ''): Promise<Client> {
  const c = await connect(server);
  c.socket.write(encodeHello(PsChannel.Urgent, token));
  await c.waitFor(PS_WELCOME_BYTES);
  return c;
}

/** A well-behaved client fetches pages 3..5 and gets exactly the blob's bytes. */
async function expectServes(server: RunningPageServer): Promise<void> {
  const c = await hello(server);
  const w = decodeWelcome(c.received());
  expect([w.magic, w.status, w.blobBytes, w.pageSize]).toEqual([PS_MAGIC, PsStatus.Ok, image.blobBytes, PS]);
  c.socket.write(encodeRequest(3 * PS, 3 * PS));
  const got = await c.waitFor(PS_WELCOME_BYTES + 3 * PS);
  expect(got.subarray(PS_WELCOME_BYTES).equals(blobBytes(3 * PS, 3 * PS))).toBe(true);
  c.socket.destroy();
}

describeBuilt('the page server', () => {
  let server: RunningPageServer;
  beforeAll(async () => {
    server = await startPageServer({ image, host: '127.0.0.1', port: 0, pagesCache: null });
  });
  afterAll(() => server.stop());

  it('serves the blob a run restores from, page for page', async () => {
    await expectServes(server);
    const c = await hello(server);
    c.socket.write(encodeRequest(0, image.blobBytes > PS_MAX_REQUEST_PAGES * PS ? PS_MAX_REQUEST_PAGES * PS : image.blobBytes));
    const got = await c.waitFor(PS_WELCOME_BYTES + image.blobBytes);
    expect(got.subarray(PS_WELCOME_BYTES).equals(blobBytes(0, image.blobBytes))).toBe(true);
    c.socket.destroy();
  });

  const hostile: [string, (c: Client) => void][] = [
    ['an offset past the blob', (c) => c.socket.write(encodeRequest(image.blobBytes, PS))],
    ['a range that ends past the blob', (c) => c.socket.write(encodeRequest(image.blobBytes - PS, 2 * PS))],
    ['an offset that wraps past 2^64', (c) => c.socket.write(encodeRequest(2n ** 64n - BigInt(PS), 2 * PS))],
    ['a huge length', (c) => c.socket.write(encodeRequest(0, 2n ** 63n))],
    ['one page more than a request may ask', (c) => c.socket.write(encodeRequest(0, (PS_MAX_REQUEST_PAGES + 1) * PS))],
    ['an unaligned offset', (c) => c.socket.write(encodeRequest(1, PS))],
    ['an unaligned length', (c) => c.socket.write(encodeRequest(0, PS + 1))],
    ['an empty request', (c) => c.socket.write(encodeRequest(0, 0))],
  ];
  it.each(hostile)('%s closes that connection and nothing else', async (_what, send) => {
    const c = await hello(server);
    send(c);
    await c.closed;
    expect(c.received().length).toBe(PS_WELCOME_BYTES);
    await expectServes(server);
  });

  it.each([
    ['garbage instead of a hello', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.padEnd(72, ' '))],
    ['a hello of another version', (() => { const b = encodeHello(PsChannel.Urgent); b.writeUInt16LE(99, 4); return b; })()],
    ['a hello of an unknown channel', encodeHello(7)],
  ])('%s: closed without a welcome', async (_what, bytes) => {
    const c = await connect(server);
    c.socket.write(bytes);
    await c.closed;
    expect(c.received().length).toBe(0);
    await expectServes(server);
  });

  it('a client that stops in the middle of its hello or of a request is closed (it holds no slot for long)', async () => {
    const a = await connect(server);
    a.socket.write(encodeHello(PsChannel.Urgent).subarray(0, 10));
    const b = await hello(server);
    b.socket.write(encodeRequest(0, PS).subarray(0, 5));
    await Promise.all([a.closed, b.closed]);
    expect([a.received().length, b.received().length]).toEqual([0, PS_WELCOME_BYTES]);
    await expectServes(server);
  });

  it('answers a mutated session exactly as the protocol says, and nothing more (mutation fuzz)', async () => {
    const good = [encodeRequest(0, PS), encodeRequest(3 * PS, 2 * PS), encodeRequest(image.blobBytes - PS, PS)];
    const seed = Buffer.concat([encodeHello(PsChannel.Background), ...good]);
    const regions = [0, 72, 88, 104, 120];
    const fields = [4, 6, 7, 72, 76, 80, 84, 88, 92, 96, 100, 104, 112];
    const rng = new Rng(13);
    let cases = 0;
    for (const m of binaryMutants(seed, 2000, rng, regions, fields)) {
      const c = await connect(server);
      c.socket.end(m.bytes);
      await c.closed;
      expect({ how: m.how, got: c.received().equals(expectedReply(m.bytes)) }).toEqual({ how: m.how, got: true });
      cases++;
    }
    expect(cases).toBe(2000);
    await expectServes(server);
  }, 60_000);

  it('seeded random bytes after a hello never crash it', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
    for (let i = 0; i < 50; i++) {
      const c = await hello(server);
      c.socket.write(Buffer.from(Array.from({ length: 16 * (1 + (i % 5)) }, rand)));
      c.socket.end();
      await c.closed;
    }
    await expectServes(server);
  });
});

describeBuilt('a page server at its client limit', () => {
  it('closes a connection past --max-clients at once and takes new ones when a slot is free', async () => {
    const server = await startPageServer({ image, host: '127.0.0.1', port: 0, maxClients: 2, pagesCache: null });
    try {
      const [a, b] = [await hello(server), await hello(server)];
      const c = await connect(server);
      c.socket.write(encodeHello(PsChannel.Urgent));
      await c.closed;
      expect(c.received().length).toBe(0);
      a.socket.destroy();
      await a.closed;
      // the server frees a's slot once it has seen the close
      let served = false;
      for (let i = 0; i < 100 && !served; i++) {
        const d = await hello(server);
        served = d.received().length === PS_WELCOME_BYTES;
        d.socket.destroy();
        await d.closed;
      }
      expect(served).toBe(true);
      b.socket.destroy();
    } finally {
      await server.stop();
    }
  });
});

describeBuilt('a page server with a token', () => {
  let server: RunningPageServer;
  beforeAll(async () => {
    server = await startPageServer({ image, host: '127.0.0.1', port: 0, token: 'sesame-42', pagesCache: null });
  });
  afterAll(() => server.stop());

  it('refuses a wrong or missing token with a welcome that says so, and serves the right one', async () => {
    for (const token of ['', 'sesame-41', 'sesame-42x', 'sesame-4']) {
      const c = await hello(server, token);
      await c.closed;
      const w = decodeWelcome(c.received());
      expect([w.status, w.blobBytes, c.received().length]).toEqual([PsStatus.BadToken, 0, PS_WELCOME_BYTES]);
    }
    const ok = await hello(server, 'sesame-42');
    expect(decodeWelcome(ok.received()).status).toBe(PsStatus.Ok);
    ok.socket.destroy();
  });
});

describeBuilt('starting a page server', () => {
  it('refuses an address that is not loopback without a token, in one line', async () => {
    await expect(startPageServer({ image, host: '0.0.0.0', port: 0, pagesCache: null })).rejects.toThrow(
      /^a page server on 0\.0\.0\.0 \(not loopback\) needs a shared token: --token-file FILE or RESTORELAB_PAGE_SERVER_TOKEN$/,
    );
  });

  it('says why it could not listen', async () => {
    const first = await startPageServer({ image, host: '127.0.0.1', port: 0, pagesCache: null });
    try {
      await expect(startPageServer({ image, host: '127.0.0.1', port: first.port, pagesCache: null })).rejects.toThrow(/^the page server did not start: bind: Address already in use$/);
    } finally {
      await first.stop();
    }
  });

  it('reads a generated image from the pages cache when it is given one', async () => {
    const dir = fs.mkdtempSync('/tmp/restorelab-ps-cache-');
    try {
      const server = await startPageServer({ image, host: '127.0.0.1', port: 0, pagesCache: new PagesCache(dir, 1 << 30) });
      await expectServes(server);
      await server.stop();
      expect(fs.readdirSync(dir).length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
