import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { crc32 } from 'zlib';
import { UsageError } from '../errors/usage-error';
import { readTrace } from './read-trace';
import { TRACE_FRAME_ACCESSES, TRACE_FRAME_HEADER_BYTES, TRACE_HEADER_BYTES, TraceFrame } from './trace-format';
import { scanTrace } from './trace-reader';
import { TraceWriter } from './trace-writer';
import { resealFrames } from '../testing/fuzz/log-frames';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'restorelab-trace-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function sample(file: string, n = 1000): void {
  const w = new TraceWriter(file, { name: 'sample', pageSize: 4096 });
  w.process(7, null);
  w.process(9, 7, 3);
  for (let i = 0; i < n; i++) {
    w.access(7, 0x400 + ((i * 37) % 101), i % 3 === 0, i % 10 === 0 ? 0 : 250);
    if (i === 10) w.migrate(7, 11);
    if (i % 2 === 0) w.access(9, 2 ** 35 - 1 - i, true, 1e9);
  }
  w.close();
}

function expectRefused(bytes: Buffer, message: RegExp): void {
  const f = join(dir, 'bad.rltrace');
  writeFileSync(f, bytes);
  expect(() => readTrace(f)).toThrow(UsageError);
  expect(() => readTrace(f)).toThrow(message);
}

describe('trace files', () => {
  it('read back exactly what was written, per process, with fork point and migrate marker', () => {
    const f = join(dir, 't.rltrace');
    sample(f);
    const t = readTrace(f);
    expect(t.info).toEqual({ name: 'sample', pageSize: 4096 });
    expect(t.processes.map((p) => [p.pid, p.parent, p.forkAt, p.migrateAt, p.page.length])).toEqual([
      [7, null, -1, 11, 1000],
      [9, 7, 3, 0, 500],
    ]);
    const [a, b] = t.processes;
    for (let i = 0; i < 1000; i++) {
      expect([a.page[i], a.write[i], a.gapNs[i]]).toEqual([0x400 + ((i * 37) % 101), i % 3 === 0 ? 1 : 0, i % 10 === 0 ? 0 : 250]);
    }
    expect(Array.from(b.page.subarray(0, 3))).toEqual([2 ** 35 - 1, 2 ** 35 - 3, 2 ** 35 - 5]);
    expect(b.gapNs[499]).toBe(1e9);
  });

  it('take about a byte per access for a sequential scan with a constant gap, in frames of 65536', () => {
    const f = join(dir, 'seq.rltrace');
    const w = new TraceWriter(f, { name: 'seq', pageSize: 4096 });
    w.process(1, null);
    const n = 3 * TRACE_FRAME_ACCESSES + 5;
    for (let i = 0; i < n; i++) w.access(1, 0x100000 + i, false, 200);
    w.close();
    const size = readFileSync(f).length;
    expect(size / n).toBeLessThan(1.01);
    const frames: number[] = [];
    const s = scanTrace(f, { accesses: (b) => frames.push(b.count) });
    expect(frames).toEqual([TRACE_FRAME_ACCESSES, TRACE_FRAME_ACCESSES, TRACE_FRAME_ACCESSES, 5]);
    expect(s.accesses).toBe(n);
  });

  it('are written under a temporary name: an aborted writer leaves nothing', () => {
    const f = join(dir, 'a.rltrace');
    const w = new TraceWriter(f, { name: 'x', pageSize: 4096 });
    w.process(1, null);
    w.access(1, 5, false, 0);
    w.abort();
    expect(() => readFileSync(f)).toThrow(/ENOENT/);
    expect(() => new TraceWriter(join(dir, 'no', 'such', 'x'), { name: 'x', pageSize: 4096 })).toThrow(/cannot write trace .*ENOENT/);
  });

  describe('refuse, in one line naming the file and the byte', () => {
    let good: Buffer;
    beforeEach(() => {
      const f = join(dir, 'good.rltrace');
      sample(f, 50);
      good = readFileSync(f);
    });

    const frameAt = (buf: Buffer, k: number): number => {
      let off = TRACE_HEADER_BYTES;
      for (let i = 0; i < k; i++) off += TRACE_FRAME_HEADER_BYTES + buf.readUInt32LE(off + 1);
      return off;
    };
    const frame = (type: number, payload: Buffer): Buffer => {
      const h = Buffer.alloc(TRACE_FRAME_HEADER_BYTES);
      h[0] = type;
      h.writeUInt32LE(payload.length, 1);
      h.writeUInt32LE(crc32(payload), 5);
      return Buffer.concat([h, payload]);
    };
    const head = (): Buffer => good.subarray(0, frameAt(good, 3));

    it('a file that is not a trace, another version, a device', () => {
      expectRefused(Buffer.from('hello world'), /is not a restorelab trace/);
      const v = Buffer.from(good);
      v.writeUInt32LE(2, 4);
      expectRefused(v, /has format version 2; this restorelab reads version 1/);
      expect(() => readTrace('/dev/zero')).toThrow(/cannot read trace \/dev\/zero: not a regular file/);
    });

    it('a truncated file, at every length', () => {
      for (let len = 4; len < good.length; len += 7) expectRefused(good.subarray(0, len), /is truncated at byte \d+/);
    });

    it('a flipped bit (CRC-32), bytes after END', () => {
      const b = Buffer.from(good);
      b[frameAt(b, 3) + TRACE_FRAME_HEADER_BYTES + 9] ^= 4;
      expectRefused(b, /corrupt at byte \d+: the ACCESSES frame \(\d+ bytes\) fails its CRC-32 check/);
      expectRefused(Buffer.concat([good, Buffer.from([0])]), /1 bytes after the END frame/);
    });

    it('an access count the frame cannot hold (nothing of that size is allocated)', () => {
      const p = Buffer.alloc(12);
      p.writeUInt32LE(7, 0);
      p.writeUInt32LE(0xffffffff, 4);
      expectRefused(Buffer.concat([head(), frame(TraceFrame.Accesses, p)]), /claims 4294967295 accesses in 4 bytes/);
    });

    it('a frame longer than any writer makes', () => {
      const h = Buffer.alloc(TRACE_FRAME_HEADER_BYTES);
      h[0] = TraceFrame.Accesses;
      h.writeUInt32LE(0xfffffff0, 1);
      expectRefused(Buffer.concat([head(), h]), /a ACCESSES frame of 4294967280 bytes \(at most \d+\)/);
    });

    it('a page outside the address space, an access cut short, an undeclared process', () => {
      const p = Buffer.from([7, 0, 0, 0, 1, 0, 0, 0, 4]);
      expectRefused(Buffer.concat([head(), frame(TraceFrame.Accesses, p)]), /access 0 of process 7 is at page -1, outside the address space/);
      const cut = Buffer.from([7, 0, 0, 0, 1, 0, 0, 0, 0x80]);
      expectRefused(Buffer.concat([head(), frame(TraceFrame.Accesses, cut)]), /access 0 of process 7 is cut short/);
      const who = Buffer.from([8, 0, 0, 0, 1, 0, 0, 0, 0]);
      expectRefused(Buffer.concat([head(), frame(TraceFrame.Accesses, who)]), /ACCESSES frame for process 8, which no PROCESS frame declared/);
    });

    it('a second root, a parent declared later, a pid that cannot be', () => {
      const proc = (pid: number, parent: number, forkAt: number) => {
        const p = Buffer.alloc(16);
        p.writeUInt32LE(pid, 0);
        p.writeInt32LE(parent, 4);
        p.writeDoubleLE(forkAt, 8);
        return frame(TraceFrame.Process, p);
      };
      expectRefused(Buffer.concat([head(), proc(3, -1, -1)]), /process 3 is a second root/);
      expectRefused(Buffer.concat([head(), proc(3, 4, 0)]), /parent 4 of process 3 is not an earlier process/);
      expectRefused(Buffer.concat([head(), proc(0, 7, 0)]), /pid 0 is not a pid/);
      expectRefused(Buffer.concat([head(), proc(3, 7, 0.5)]), /fork point 0.5 of process 3 is not an access index/);
    });

    it('END that does not match what came before, a migrate marker past the accesses', () => {
      const end = (o: unknown) => frame(TraceFrame.End, Buffer.from(JSON.stringify(o)));
      expectRefused(Buffer.concat([head(), end({ processes: 2, accesses: 9 })]), /END says 2 processes and 9 accesses, the trace has 2 and 0/);
      const m = Buffer.alloc(12);
      m.writeUInt32LE(9, 0);
      m.writeDoubleLE(5, 4);
      expectRefused(Buffer.concat([head(), frame(TraceFrame.Migrate, m), end({ processes: 2, accesses: 0 })]), /process 9: migrate marker 5 is past its 0 accesses/);
    });

    it('a resealed mutant is judged by the checks behind the CRC', () => {
      const b = Buffer.from(good);
      b[frameAt(b, 1) + TRACE_FRAME_HEADER_BYTES] = 0; // pid 7 -> 0 in the first PROCESS frame
      expectRefused(resealFrames(b), /pid 0 is not a pid/);
    });
  });
});
