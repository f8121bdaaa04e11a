import { mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { crc32 } from 'zlib';
import { RunMeta } from '../events/run-meta';
import { UsageError } from '../errors/usage-error';
import { EventKind } from './event-kind';
import { EVENT_RECORD_BYTES, EventLogWriter, FRAME_HEADER_BYTES, FrameType } from './event-log-writer';
import { EVENT_CHUNK, EventStore } from './event-store';

const meta: RunMeta = {
  format: 'restorelab-log',
  version: 1,
  backend: 'sim',
  workload: 'seq:pages=8',
  strategy: 'demand-only',
  seed: 1,
  pageSize: 4096,
  processes: 1,
  totalPages: 8,
  backendInfo: { faultNs: 12000 },
};

interface Frame {
  type: number;
  off: number;
  payload: Buffer;
}

function frames(buf: Buffer): Frame[] {
  const out: Frame[] = [];
  let off = 8;
  while (off < buf.length) {
    const len = buf.readUInt32LE(off + 1);
    const payload = buf.subarray(off + FRAME_HEADER_BYTES, off + FRAME_HEADER_BYTES + len);
    expect(buf.readUInt32LE(off + 5)).toBe(crc32(payload));
    out.push({ type: buf[off], off, payload });
    off += FRAME_HEADER_BYTES + len;
  }
  return out;
}

describe('EventLogWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'restorelab-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the header and the META frame as soon as it is created', () => {
    const path = join(dir, 'run.rlog');
    new EventLogWriter(path, meta);
    const buf = readFileSync(path);
    expect(buf.toString('latin1', 0, 4)).toBe('RLOG');
    expect(buf.readUInt32LE(4)).toBe(2);
    const f = frames(buf);
    expect(f.map((x) => x.type)).toEqual([FrameType.Meta]);
    expect(JSON.parse(f[0].payload.toString('utf8'))).toEqual(meta);
  });

  it('streams STRINGS before the EVENTS that use them while the run goes, END on close', () => {
    const path = join(dir, 'run.rlog');
    const store = new EventStore();
    store.addListener(new EventLogWriter(path, meta));
    const sizeAtStart = statSync(path).size;

    store.append(EventKind.StrategyAttached, 0, 0, store.intern('neighbor-prefetch:window=4'), 0, 0, 0);
    for (let i = 1; i < EVENT_CHUNK; i++) store.append(EventKind.FaultRaised, i, 7, i % 8, 70, 1, 0);
    // the first chunk is on disk before the run ends
    const midRun = readFileSync(path);
    const stringsFrame = FRAME_HEADER_BYTES + Buffer.byteLength(JSON.stringify(['neighbor-prefetch:window=4']));
    const eventsFrame = FRAME_HEADER_BYTES + 4 + EVENT_CHUNK * EVENT_RECORD_BYTES;
    expect(midRun.length).toBe(sizeAtStart + stringsFrame + eventsFrame);
    expect(frames(midRun).map((x) => x.type)).toEqual([FrameType.Meta, FrameType.Strings, FrameType.Events]);

    store.append(EventKind.StrategyFailed, 1e6, 0, store.intern('neighbor-prefetch:window=4'), store.intern('boom'), 0, 0);
    store.append(EventKind.RestoreEnded, 2e6, 0, 0, 0, 0, 0);
    store.close();

    const f = frames(readFileSync(path));
    expect(f.map((x) => x.type)).toEqual([
      FrameType.Meta,
      FrameType.Strings,
      FrameType.Events,
      FrameType.Strings,
      FrameType.Events,
      FrameType.End,
    ]);
    expect(JSON.parse(f[1].payload.toString())).toEqual(['neighbor-prefetch:window=4']);
    expect(JSON.parse(f[3].payload.toString())).toEqual(['boom']);
    expect(JSON.parse(f[5].payload.toString())).toEqual({ events: EVENT_CHUNK + 2, strings: 2 });

    // columnar layout of the last EVENTS frame: n, t[], a[], b[], c[], d[], pid[], kind[]
    const ev = f[4].payload;
    const n = ev.readUInt32LE(0);
    expect(n).toBe(2);
    expect(ev.length).toBe(4 + n * EVENT_RECORD_BYTES);
    const col = (k: number, i: number) => ev.readDoubleLE(4 + k * 8 * n + i * 8);
    expect([col(0, 0), col(0, 1)]).toEqual([1e6, 2e6]);
    expect([col(1, 0), col(2, 0), col(3, 0), col(4, 0)]).toEqual([0, 1, 0, 0]);
    expect([ev.readInt32LE(4 + 40 * n), ev.readInt32LE(4 + 40 * n + 4)]).toEqual([0, 0]);
    expect([ev[4 + 44 * n], ev[4 + 44 * n + 1]]).toEqual([EventKind.StrategyFailed, EventKind.RestoreEnded]);
  });

  it('writes a store that already held events when it was added', () => {
    const path = join(dir, 'late.rlog');
    const store = new EventStore();
    store.append(EventKind.RestoreStarted, 0, 0, 3, 1, 3, 0);
    store.intern('x');
    store.flush();
    store.addListener(new EventLogWriter(path, meta));
    store.append(EventKind.RestoreEnded, 9, 0, 0, 0, 0, 0);
    store.close();
    const f = frames(readFileSync(path));
    expect(JSON.parse(f[f.length - 1].payload.toString())).toEqual({ events: 2, strings: 1 });
  });

  it('reports a path it cannot create as one UsageError line', () => {
    const path = join(dir, 'no', 'such', 'dir', 'run.rlog');
    let err: unknown;
    try {
      new EventLogWriter(path, meta);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`cannot write log ${path}: ENOENT: no such file or directory`);
    expect((err as Error).message).not.toContain('\n');
  });
});
