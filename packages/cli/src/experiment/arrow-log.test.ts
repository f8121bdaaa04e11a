import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tableFromIPC } from 'apache-arrow';
import { computeMetrics, EventKind, EventStore, RunMeta, UsageError } from '@restorelab/core';
import { runOne } from '../run-one';
import { ARROW_LOG_COLUMNS, arrowLogBytes, writeArrowLog } from './arrow-log';
import { readArrowLog } from './arrow-log-sandbox';
import { simContainer } from './__fixtures__/sim-container';

const meta: RunMeta = {
  format: 'restorelab-log',
  version: 1,
  backend: 'sim',
  workload: 'test',
  strategy: 'demand-only',
  seed: 3,
  pageSize: 4096,
  processes: 1,
  totalPages: 8,
  backendInfo: { note: 'x' },
};

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-arrow-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function expectSameStore(back: EventStore, store: EventStore): void {
  expect(back.length).toBe(store.length);
  for (const col of ['t', 'a', 'b', 'c', 'd', 'pid', 'kind'] as const) {
    const x = back[col].subarray(0, back.length);
    const y = store[col].subarray(0, store.length);
    // byte for byte (a plain toEqual over 100k-element arrays is far too slow)
    const same = Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength));
    expect({ col, same }).toEqual({ col, same: 0 });
  }
  expect(back.stringCount).toBe(store.stringCount);
  for (let i = 0; i < store.stringCount; i++) expect(back.string(i)).toBe(store.string(i));
}

describe('Arrow event logs', () => {
  it('round-trips a simulator run: every event, every column, strings and metadata', async () => {
    const container = await simContainer();
    const outcome = await runOne(container, {
      backend: 'sim',
      workload: 'zipf:pages=512,accesses=3000,vmas=2',
      strategy: 'thp-guard,neighbor-prefetch:window=4',
      seed: 2,
      logPath: null,
    });
    const file = path.join(dir, 'run.arrow');
    writeArrowLog(file, outcome.meta, outcome.store);
    const back = readArrowLog(file);
    expect(back.meta).toEqual(outcome.meta);
    expect(outcome.store.length).toBeGreaterThan(100);
    expectSameStore(back.store, outcome.store);
    expect(computeMetrics(back.store)).toEqual(outcome.result.metrics);
    expect(fs.readdirSync(dir)).toEqual(['run.arrow']);
  });

  it('has the documented columns and types for any Arrow reader', () => {
    const store = new EventStore();
    store.append(EventKind.RestoreStarted, 0, 0, 8, 1, 8, 0);
    store.append(EventKind.StrategyFailed, 1.5, 0, store.intern('eager'), store.intern('boom, "quoted"\nline'), 0, 0);
    store.append(EventKind.FaultRaised, 2 ** 40 + 0.25, 7, 3, 7001, 1, 0);
    store.append(EventKind.PagesCopied, 3, 7, 5, 2, 1, 1);
    const table = tableFromIPC(arrowLogBytes(meta, store));
    expect(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
      'seq:Uint32',
      't_ns:Float64',
      'kind:Uint8',
      'kind_name:Dictionary<Uint8, Utf8>',
      'pid:Int32',
      'a:Float64',
      'b:Float64',
      'c:Float64',
      'd:Float64',
    ]);
    expect(table.schema.fields.map((f) => f.name)).toEqual([...ARROW_LOG_COLUMNS]);
    expect(table.numRows).toBe(4);
    expect(Array.from(table.getChild('seq')!.toArray() as Uint32Array)).toEqual([0, 1, 2, 3]);
    expect(table.getChild('kind_name')!.toArray()).toEqual(['RestoreStarted', 'StrategyFailed', 'FaultRaised', 'PagesCopied']);
    expect(JSON.parse(table.schema.metadata.get('restorelab.strings')!)).toEqual(['eager', 'boom, "quoted"\nline']);
    expect(JSON.parse(table.schema.metadata.get('restorelab.meta')!)).toEqual(meta);
    const file = path.join(dir, 'synthetic.arrow');
    writeArrowLog(file, meta, store);
    expectSameStore(readArrowLog(file).store, store);
  });

  it('spreads long logs over several record batches and reads them all back', () => {
    const store = new EventStore();
    const n = (1 << 16) * 2 + 17;
    for (let i = 0; i < n; i++) store.append(EventKind.FaultResolved, i * 10, 1 + (i % 3), i, 1000 + i, 0, 0);
    const bytes = arrowLogBytes(meta, store);
    expect(tableFromIPC(bytes).batches).toHaveLength(3);
    const file = path.join(dir, 'long.arrow');
    fs.writeFileSync(file, bytes);
    expectSameStore(readArrowLog(file).store, store);
  });

  it('writes an empty log with its columns', () => {
    const file = path.join(dir, 'empty.arrow');
    writeArrowLog(file, meta, new EventStore());
    expect(tableFromIPC(fs.readFileSync(file)).schema.fields).toHaveLength(ARROW_LOG_COLUMNS.length);
    expect(readArrowLog(file).store.length).toBe(0);
  });

  it('refuses a log whose events were changed after it was written (its CRC-32)', () => {
    const store = new EventStore();
    store.append(EventKind.RestoreStarted, 0, 0, 1, 1, 1, 0);
    store.append(EventKind.FaultResolved, 987654321.5, 1, 3, 1000, 0, 0);
    const bytes = Buffer.from(arrowLogBytes(meta, store));
    const t = Buffer.alloc(8);
    t.writeDoubleLE(987654321.5);
    const at = bytes.indexOf(t);
    expect(at).toBeGreaterThan(0);
    bytes[at] ^= 1; // the time moves by a fraction of a nanosecond: no other check sees it
    const file = path.join(dir, 'flipped.arrow');
    fs.writeFileSync(file, bytes);
    expect(() => readArrowLog(file)).toThrow(new UsageError(`log ${file} is corrupt: its events do not match their CRC-32 (restorelab.crc32)`));
    bytes[at] ^= 1;
    fs.writeFileSync(file, bytes);
    expectSameStore(readArrowLog(file).store, store);
  });

  it('refuses files that are not restorelab Arrow logs, in one line', () => {
    const store = new EventStore();
    store.append(EventKind.RestoreStarted, 0, 0, 1, 1, 1, 0);
    const bytes = arrowLogBytes(meta, store);
    const cut = path.join(dir, 'cut.arrow');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 40));
    expect(() => readArrowLog(cut)).toThrow(UsageError);
    expect(() => readArrowLog(path.join(dir, 'none.arrow'))).toThrow(/cannot read log .*none\.arrow: ENOENT/);
  });
});
