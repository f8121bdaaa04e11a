import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { RunMeta } from '../events/run-meta';
import { UsageError } from '../errors/usage-error';
import { EventKind } from './event-kind';
import { parseEventLog, readEventLog } from './event-log-reader';
import { crc32 } from 'zlib';
import { EventLogWriter, FRAME_HEADER_BYTES, FrameType, V1_FRAME_HEADER_BYTES } from './event-log-writer';
import { EventStore } from './event-store';
import { resealFrames } from '../testing/fuzz/log-frames';

const PAGE_RANGE_KINDS = new Set<number>([
  EventKind.FaultRaised,
  EventKind.PagesPrefilled,
  EventKind.PagesCopied,
  EventKind.ZeroPageMapped,
  EventKind.CopyQueued,
  EventKind.PagesTouched,
  EventKind.VmaRegistered,
  EventKind.HugePageCollapsed,
]);

const meta: RunMeta = {
  format: 'restorelab-log',
  version: 1,
  backend: 'sim',
  workload: 'zipf:pages=64',
  strategy: 'thp-guard,neighbor-prefetch:window=16',
  seed: 42,
  pageSize: 4096,
  processes: 2,
  totalPages: 128,
  backendInfo: { costModel: { faultNs: 12500, copyPageNs: 1150 } },
};

function storeEqual(x: EventStore, y: EventStore): void {
  expect(y.length).toBe(x.length);
  expect(y.stringCount).toBe(x.stringCount);
  const n = x.length;
  for (const k of ['t', 'a', 'b', 'c', 'd', 'pid', 'kind'] as const) {
    expect(Buffer.compare(Buffer.from(x[k].buffer, 0, n * x[k].BYTES_PER_ELEMENT), Buffer.from(y[k].buffer, 0, n * y[k].BYTES_PER_ELEMENT))).toBe(0);
  }
  for (let i = 0; i < x.stringCount; i++) expect(y.string(i)).toBe(x.string(i));
}

/** The error a function throws, which must be a one-line UsageError. */
function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const m = (e as Error).message;
    expect(m).not.toMatch(/\n/);
    return m;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

/** Frame boundaries: offsets where a frame starts (and the file end). */
function boundaries(buf: Buffer): number[] {
  const out = [8];
  let off = 8;
  while (off < buf.length) {
    off += FRAME_HEADER_BYTES + buf.readUInt32LE(off + 1);
    out.push(off);
  }
  return out;
}

function frameAt(buf: Buffer, type: number): number {
  const b = boundaries(buf);
  const off = b.find((o) => o < buf.length && buf[o] === type);
  if (off === undefined) throw new Error(`no frame of type ${type}`);
  return off;
}

/** The same log in format version 1 (frames without a CRC). */
function asVersion1(buf: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from(buf.subarray(0, 8))];
  parts[0].writeUInt32LE(1, 4);
  const b = boundaries(buf);
  for (const off of b.slice(0, -1)) {
    const len = buf.readUInt32LE(off + 1);
    parts.push(buf.subarray(off, off + V1_FRAME_HEADER_BYTES), buf.subarray(off + FRAME_HEADER_BYTES, off + FRAME_HEADER_BYTES + len));
  }
  return Buffer.concat(parts);
}

describe('readEventLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'restorelab-read-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function writeLog(name: string, fill: (s: EventStore) => void, m: RunMeta = meta): { path: string; store: EventStore } {
    const path = join(dir, name);
    const store = new EventStore();
    store.addListener(new EventLogWriter(path, m));
    fill(store);
    store.close();
    return { path, store };
  }

  function smallLog(): { path: string; store: EventStore } {
    return writeLog('small.rlog', (s) => {
      s.append(EventKind.RestoreStarted, 0, 0, 10, 1, 12, 0);
      s.append(EventKind.StrategyAttached, 1, 0, s.intern('neighbor-prefetch'), 0, 0, 0);
      s.flush();
      s.append(EventKind.FaultRaised, 2, 100, 3, 100, 0, 0);
      s.append(EventKind.StrategyFailed, 3, 0, s.intern('neighbor-prefetch'), s.intern('boom: bad\nline'), 0, 0);
      s.append(EventKind.RestoreEnded, 4, 0, 0, 0, 0, 0);
    });
  }

  it('round-trips meta, strings and more than 65536 events exactly', () => {
    const { path, store } = writeLog('big.rlog', (s) => {
      for (let i = 0; i < 200_003; i++) {
        if (i % 50_000 === 1) s.intern(`strategy-${i}`);
        const k = 1 + (i % 25);
        const str = k === EventKind.StrategyAttached || k === EventKind.StrategyFailed;
        // events about pages keep to the run's pages (log-bounds.ts); the rest carry any double
        if (PAGE_RANGE_KINDS.has(k)) s.append(k, i * 1.5, 1 + (i % 2), i % 60, 1, 1, i % 2 ? NaN : Infinity);
        else s.append(k, i * 1.5, (i % 5) - 1, str ? 0 : i, str ? 0 : -i / 3, 2 ** 53 - i, i % 2 ? NaN : Infinity);
      }
      s.intern('after the last chunk');
      s.append(EventKind.StrategyFailed, 1e9, 0, s.intern('x'), s.intern('after the last chunk'), 0, 0);
    });
    const log = readEventLog(path);
    expect(log.meta).toEqual(meta);
    expect(log.store.length).toBe(200_004);
    storeEqual(store, log.store);
    expect(log.store.string(log.store.b[200_003])).toBe('after the last chunk');
  });

  it('reads a multi-million-event log', () => {
    const n = 2_500_000;
    const { path } = writeLog('huge.rlog', (s) => {
      for (let i = 0; i < n; i++) s.append(EventKind.PagesCopied, i, 1 + (i & 3), i, 1, i & 3, 1);
    }, { ...meta, processes: 4, totalPages: 4 * n });
    const log = readEventLog(path);
    expect(log.store.length).toBe(n);
    expect([log.store.t[n - 1], log.store.pid[n - 1], log.store.a[n - 1], log.store.c[n - 1]]).toEqual([n - 1, 1 + ((n - 1) & 3), n - 1, (n - 1) & 3]);
  });

  it('reads an empty run (no events, no strings)', () => {
    const { path } = writeLog('empty.rlog', () => undefined);
    const log = readEventLog(path);
    expect(log.store.length).toBe(0);
    expect(log.store.stringCount).toBe(0);
  });

  it('names a missing file in one line', () => {
    const path = join(dir, 'nope.rlog');
    expect(usageError(() => readEventLog(path))).toBe(`cannot read log ${path}: ENOENT: no such file or directory`);
    expect(usageError(() => readEventLog(dir))).toBe(`cannot read log ${dir}: EISDIR: illegal operation on a directory, read`);
  });

  it('rejects a file that is not a restorelab log', () => {
    const path = join(dir, 'x.txt');
    writeFileSync(path, 'hello world, this is not a log');
    expect(usageError(() => readEventLog(path))).toBe(`${path} is not a restorelab log (it does not start with RLOG)`);
    writeFileSync(path, 'R');
    expect(usageError(() => readEventLog(path))).toMatch(/is truncated at byte 1/);
    writeFileSync(path, 'X');
    expect(usageError(() => readEventLog(path))).toMatch(/is not a restorelab log/);
  });

  it('rejects an unsupported version', () => {
    const { path } = smallLog();
    const buf = readFileSync(path);
    buf.writeUInt32LE(3, 4);
    expect(usageError(() => parseEventLog(buf, 'v3.rlog'))).toBe(
      'log v3.rlog has format version 3; this restorelab reads versions 1 to 2',
    );
  });

  it('reads a version 1 log (no CRCs) as it reads the same log in version 2', () => {
    const { path, store } = smallLog();
    const v1 = asVersion1(readFileSync(path));
    storeEqual(store, parseEventLog(v1, 'v1.rlog').store);
  });

  it('refuses a flipped bit anywhere in a frame, naming the frame', () => {
    const { path } = smallLog();
    const good = readFileSync(path);
    for (const off of boundaries(good).slice(0, -1)) {
      const len = good.readUInt32LE(off + 1);
      for (const at of [off + FRAME_HEADER_BYTES, off + FRAME_HEADER_BYTES + len - 1, off + 5]) {
        const bad = Buffer.from(good);
        bad[at] ^= 0x10;
        expect(usageError(() => parseEventLog(bad, 'l'))).toBe(`log l is corrupt: the frame at byte ${off} (type ${good[off]}, ${len} bytes) fails its CRC-32 check`);
      }
    }
  });

  it('reports every cut of the file as truncated or as missing its END frame, in one line', () => {
    const { path } = smallLog();
    const whole = readFileSync(path);
    expect(parseEventLog(whole, 'ok').store.length).toBe(5);
    const atBoundary = new Set(boundaries(whole));
    for (let cut = 0; cut < whole.length; cut++) {
      const m = usageError(() => parseEventLog(whole.subarray(0, cut), 'cut.rlog'));
      if (cut >= 8 && atBoundary.has(cut))
        expect(m).toBe(`log cut.rlog has no END frame (it stops at byte ${cut}): the run did not finish or the file was cut`);
      else expect(m).toBe(`log cut.rlog is truncated at byte ${cut}: the run did not finish or the file was cut`);
    }
  });

  it('reports corrupt frames and JSON in one line', () => {
    const { path } = smallLog();
    const good = readFileSync(path);
    const copy = () => Buffer.from(good);
    const parse = (buf: Buffer) => parseEventLog(resealFrames(buf), 'l');

    const unknownType = copy();
    unknownType[frameAt(good, FrameType.End)] = 9;
    expect(usageError(() => parse(unknownType))).toMatch(/^log l is corrupt: unknown frame type 9 at byte \d+$/);

    const badMeta = copy();
    badMeta[8 + FRAME_HEADER_BYTES] = '['.charCodeAt(0);
    expect(usageError(() => parse(badMeta))).toMatch(/^log l is corrupt: bad JSON in the META frame at byte 8 \(.+\)$/);

    const noMeta = copy();
    noMeta[8] = FrameType.Strings;
    expect(usageError(() => parse(noMeta))).toBe('log l is corrupt: expected the META frame at byte 8, found frame type 2');

    const strOff = frameAt(good, FrameType.Strings);
    const badStrings = copy();
    badStrings[strOff + FRAME_HEADER_BYTES] = '{'.charCodeAt(0);
    expect(usageError(() => parse(badStrings))).toMatch(/^log l is corrupt: bad JSON in the STRINGS frame/);

    const evOff = frameAt(good, FrameType.Events);
    const badCount = copy();
    badCount.writeUInt32LE(3, evOff + FRAME_HEADER_BYTES);
    expect(usageError(() => parse(badCount))).toMatch(
      /^log l is corrupt: the EVENTS frame at byte \d+ has 94 bytes, expected 139 for 3 events$/,
    );

    const badKind = copy();
    const n = badKind.readUInt32LE(evOff + FRAME_HEADER_BYTES);
    badKind[evOff + FRAME_HEADER_BYTES + 4 + 44 * n] = 200;
    expect(usageError(() => parse(badKind))).toMatch(/^log l is corrupt: event #0 .* has unknown kind 200$/);

    const badRef = copy();
    badRef.writeDoubleLE(7, evOff + FRAME_HEADER_BYTES + 4 + 8 * n + 8); // a of event #1 (StrategyAttached): string 7
    expect(usageError(() => parse(badRef))).toMatch(/event #1 .* names a string the log has not defined/);

    const trailing = Buffer.concat([good, Buffer.from([1, 2, 3])]);
    expect(usageError(() => parseEventLog(trailing, 'l'))).toBe('log l is corrupt: 3 stray bytes after the END frame');
  });

  it('reports an END frame whose counts do not match the log', () => {
    const { path } = smallLog();
    const good = readFileSync(path);
    const endOff = frameAt(good, FrameType.End);
    const withEnd = (json: string) => {
      const payload = Buffer.from(json);
      const head = Buffer.alloc(FRAME_HEADER_BYTES);
      head[0] = FrameType.End;
      head.writeUInt32LE(payload.length, 1);
      head.writeUInt32LE(crc32(payload), 5);
      return Buffer.concat([good.subarray(0, endOff), head, payload]);
    };
    expect(parseEventLog(withEnd('{"events":5,"strings":2}'), 'l').store.length).toBe(5);
    expect(usageError(() => parseEventLog(withEnd('{"events":6,"strings":2}'), 'l'))).toBe(
      'log l is corrupt: the END frame counts 6 events but the log holds 5',
    );
    expect(usageError(() => parseEventLog(withEnd('{"events":5,"strings":3}'), 'l'))).toBe(
      'log l is corrupt: the END frame counts 3 strings but the log holds 2',
    );
    expect(usageError(() => parseEventLog(withEnd('{"events":5}'), 'l'))).toMatch(/does not hold the event and string counts/);
    expect(usageError(() => parseEventLog(withEnd('{"events":'), 'l'))).toMatch(/bad JSON in the END frame/);
  });

  it("refuses a META frame that describes no run an image could have, before any event", () => {
    const variants: [Partial<Record<keyof RunMeta, unknown>>, RegExp][] = [
      [{ totalPages: 2 ** 31 }, /'totalPages' is not an integer from 0 to 67108864/],
      [{ totalPages: -1 }, /'totalPages' is not an integer/],
      [{ processes: 0 }, /'processes' is not an integer from 1 to 1024/],
      [{ processes: 1e300 }, /'processes' is not an integer/],
      [{ pageSize: 65536 }, /'pageSize' is 65536, expected 4096/],
      [{ version: 2 }, /version 2, expected 1/],
      [{ seed: 'x' }, /'seed' is not a non-negative integer/],
      [{ strategy: 7 }, /'strategy' is not a string/],
      [{ backendInfo: [1] }, /'backendInfo' is not an object/],
    ];
    for (const [change, why] of variants) {
      const path = join(dir, 'meta.rlog');
      const store = new EventStore();
      store.addListener(new EventLogWriter(path, { ...meta, ...change } as RunMeta));
      store.close();
      expect(usageError(() => readEventLog(path))).toMatch(new RegExp(`^log .*meta\\.rlog is corrupt: the META frame at byte 8 is not restorelab run metadata \\(${why.source}`));
    }
  });

  it('refuses an event that claims pages outside the run (a log bomb), naming the event', () => {
    const bomb = (name: string, fill: (s: EventStore) => void) => usageError(() => readEventLog(writeLog(name, fill).path));
    expect(bomb('past.rlog', (s) => s.append(EventKind.VmaRegistered, 0, 1, 0, 0, 2 ** 31, 1))).toMatch(
      /^log .*past\.rlog is corrupt: event #0 \(EVENTS frame at byte \d+\): pages \[0, 0\+2147483648\) of pid 1 are outside the run's 128 pages$/,
    );
    expect(bomb('neg.rlog', (s) => s.append(EventKind.PagesCopied, 0, 1, -5, 1, 1, 1))).toMatch(/pages \[-5, -5\+1\) of pid 1 are outside/);
    expect(bomb('frac.rlog', (s) => s.append(EventKind.PagesTouched, 0, 1, 0.5, 1, 0, 0))).toMatch(/pages \[0\.5, 0\.5\+1\) of pid 1/);
    expect(bomb('pid.rlog', (s) => s.append(EventKind.FaultRaised, 0, -7, 0, 0, 0, 0))).toMatch(/event #0 .*: pid -7 is not a pid$/);
    expect(
      bomb('procs.rlog', (s) => {
        for (const pid of [1, 2, 3]) s.append(EventKind.FaultRaised, 0, pid, 0, 0, 0, 0);
      }),
    ).toMatch(/event #2 .*: pid 3 is one more process than the run's 2$/);
    expect(
      bomb('sum.rlog', (s) => {
        s.append(EventKind.VmaRegistered, 0, 1, 0, 0, 100, 1);
        s.append(EventKind.VmaRegistered, 0, 2, 0, 0, 100, 1);
      }),
    ).toMatch(/event #1 .*: its processes' pages add up to more than the run's 128$/);
  });
});
