import * as fs from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { readTrace, UsageError } from '@restorelab/core';
import { tempDir } from '../e2e/cli';
import { importCsv, importCsvBytes } from './csv-import';
import { importLackey } from './lackey-import';
import { MAX_LINE_BYTES } from './line-source';
import { traceStats } from './trace-stats';

let dir: string;
beforeEach(() => {
  dir = tempDir('trace-import');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const LACKEY = `==4242== Lackey, an example Valgrind tool
==4242== Command: gzip -6
I  04016e0,3
 S 1fff000758,8
I  04016e3,5
 L 0422cff8,8
 M 0422cff0,4
I  04016e8,2
 L 0422dffc,8
 S 0422e000,8
I  04016ea,2
 L ffffffffff600000,8
==4242== Exit code: 0
`;

function write(name: string, text: string | Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const pages = (f: string, pid = 1) => {
  const p = readTrace(f).processes.find((x) => x.pid === pid)!;
  return { page: Array.from(p.page), write: Array.from(p.write), gap: Array.from(p.gapNs), migrateAt: p.migrateAt };
};

describe('trace import --format lackey', () => {
  it('reads loads, stores and modifies, skips ==PID== lines, folds repeats, splits a straddling access, counts instructions as time', async () => {
    const out = path.join(dir, 'a.rltrace');
    const r = await importLackey(write('a.lackey', LACKEY), { out, name: 'a', pid: 1, nsPerInstruction: 2 });
    expect(r).toMatchObject({ lines: 13, skippedLines: 3, accesses: 4, writes: 3, outsideUser: 1, migrateAt: 0 });
    // 0x1fff000 (store), 0x422c (load then modify: one write), 0x422d and 0x422e (the straddling load), 0x422e (store: folded)
    expect(pages(out)).toEqual({ page: [0x1fff000, 0x422c, 0x422d, 0x422e], write: [1, 1, 0, 1], gap: [2, 2, 2, 0], migrateAt: 0 });
  });

  it('with --instructions, code pages are accesses too; --no-collapse keeps every access', async () => {
    const out = path.join(dir, 'i.rltrace');
    await importLackey(write('i.lackey', LACKEY), { out, name: 'i', pid: 3, instructions: true, collapse: false, migrateAt: { index: 2 } });
    const p = pages(out, 3);
    expect(p.page).toEqual([0x401, 0x1fff000, 0x401, 0x422c, 0x422c, 0x401, 0x422d, 0x422e, 0x422e, 0x401]);
    expect(p.migrateAt).toBe(2);
  });

  it('reads gzip input, and the same trace comes out', async () => {
    const a = path.join(dir, 'plain.rltrace');
    const b = path.join(dir, 'gz.rltrace');
    await importLackey(write('x.lackey', LACKEY), { out: a, name: 'x', pid: 1, migrateAt: { fraction: 0.5 } });
    await importLackey(write('x.lackey.gz', gzipSync(LACKEY)), { out: b, name: 'x', pid: 1, migrateAt: { fraction: 0.5 } });
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
    expect(pages(a).migrateAt).toBe(2);
  });

  it.each([
    ['garbage', 'hello world\n', /lackey .*: line 1: not a lackey line: "hello world"/],
    ['a bad address', 'I  04zz,3\n', /line 1: bad address: "I  04zz,3"/],
    ['an address of 17 digits', ' L 11111111111111111,8\n', /line 1: bad address/],
    ['a bad size', ' L 0400,x\n', /line 1: bad size/],
    ['a size of 0', ' L 0400,0\n', /line 1: bad size/],
    ['no size', ' S 0400\n', /line 1: bad address/],
    ['a line too long', `==1== ${'x'.repeat(MAX_LINE_BYTES + 10)}\n`, /line 1 is longer than 4096 bytes/],
    ['a cut gzip stream', gzipSync(LACKEY).subarray(0, 40), /cannot read lackey trace .*: corrupt gzip data|line \d+: /],
    ['a migrate marker past the end', LACKEY, /--migrate-at 99 is past the trace's 4 accesses/],
  ])('refuses %s in one line, and writes nothing', async (_what, text, message) => {
    const out = path.join(dir, 'bad.rltrace');
    const p = importLackey(write('bad.lackey', text), { out, name: 'b', pid: 1, migrateAt: _what.startsWith('a migrate') ? { index: 99 } : undefined });
    await expect(p).rejects.toThrow(UsageError);
    await expect(importLackey(write('bad.lackey', text), { out, name: 'b', pid: 1, migrateAt: _what.startsWith('a migrate') ? { index: 99 } : undefined })).rejects.toThrow(message);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.rltrace'))).toEqual([]);
  });

  it('refuses a device and a directory', async () => {
    const out = path.join(dir, 'x.rltrace');
    await expect(importLackey('/dev/zero', { out, name: 'x', pid: 1 })).rejects.toThrow(/cannot read lackey trace \/dev\/zero: not a regular file or a FIFO/);
    await expect(importLackey(dir, { out, name: 'x', pid: 1 })).rejects.toThrow(/EISDIR/);
  });
});

describe('trace import --format csv', () => {
  it('reads hex addresses and page offsets from the base, r/w columns, skips a header, comments and blank lines', async () => {
    const out = path.join(dir, 'c.rltrace');
    const csv = 'address,op\n0x7f0000001000\n0x7f0000001fff,w\n\n# a comment\n3\n3,W\r\n0x7f0000003000,read\n';
    const r = await importCsv(write('c.csv', csv), { out, name: 'c', pid: 1, base: 0x100000000000, gapNs: 50 });
    expect(r).toMatchObject({ accesses: 3, writes: 2, skippedLines: 3 });
    expect(pages(out)).toEqual({ page: [0x7f0000001, 0x100000003, 0x7f0000003], write: [1, 1, 0], gap: [50, 100, 100], migrateAt: 0 });
  });

  it('in memory (the fuzz tests\' path) reads the last line without a newline, as the stream does', () => {
    const out = path.join(dir, 'm.rltrace');
    expect(importCsvBytes(Buffer.from('0x1000\n0x2000'), 'm.csv', { out, name: 'm', pid: 1, base: 0, gapNs: 0, migrateAt: { index: 2 } })).toMatchObject({ accesses: 2, lines: 2, migrateAt: 2 });
    expect(pages(out).page).toEqual([1, 2]);
  });

  it.each([
    ['a bad value after the first line', '0x1000\nnope\n', /csv .*: line 2: expected a hex address \(0x\.\.\.\) or a page offset: "nope"/],
    ['a bad op', '0x1000,x\n', /line 1: expected ADDRESS\[,r\|w\]: "0x1000,x"/],
    ['an extra column', '0x1000,r,5\n', /line 1: expected ADDRESS/],
  ])('refuses %s', async (_what, text, message) => {
    await expect(importCsv(write('bad.csv', text), { out: path.join(dir, 'bad.rltrace'), name: 'b', pid: 1, base: 0, gapNs: 0 })).rejects.toThrow(message);
  });
});

describe('trace stats', () => {
  it('counts pages, sequential accesses, cold misses, LRU reuse distances and the working-set curve', async () => {
    const out = path.join(dir, 's.rltrace');
    // pages 1 2 3 1 2 3 4 5 1 9: reuses of 1, 2, 3 at distance 2, then 1 at distance 4
    await importCsv(write('s.csv', [1, 2, 3, 1, 2, 3, 4, 5, 1, 9].join('\n')), { out, name: 's', pid: 1, base: 0, gapNs: 1 });
    const s = traceStats(out, fs.statSync(out).size);
    expect(s.accesses).toBe(10);
    const [p] = s.processes;
    expect(p).toMatchObject({ pid: 1, accesses: 10, pages: 6, writeFraction: 0, coldFraction: 0.6 });
    expect(p.sequentialFraction).toBeCloseTo(6 / 9);
    expect(p.reuseDistance).toEqual({ p50: 2, p90: 4, p99: 4 });
    expect(p.workingSet).toEqual([1, 2, 3, 3, 3, 3, 4, 5, 5, 6]);
  });
});
