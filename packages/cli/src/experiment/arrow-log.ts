import * as fs from 'fs';
import {
  Data,
  Dictionary,
  Field,
  Float64,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  tableToIPC,
  Uint32,
  Uint8,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import {
  checkRunMeta,
  EVENT_KIND_COUNT,
  EventKind,
  EventKindName,
  EventLog,
  EventStore,
  FILE_LIMITS,
  fileError,
  LogBounds,
  readRegularFile,
  RunMeta,
  UsageError,
} from '@restorelab/core';

/** Value of the `restorelab.format` metadata key. */
export const ARROW_LOG_FORMAT = 'restorelab-arrow-log/1';
const ROWS_PER_BATCH = 1 << 16;

/**
 * The columns of an Arrow event log (one row per event, in log order). a..d mean what the event
 * table in core's event-kind.ts says for the row's kind; strings (strategy names, messages) are
 * indices into the `restorelab.strings` metadata array.
 */
export const ARROW_LOG_COLUMNS = ['seq', 't_ns', 'kind', 'kind_name', 'pid', 'a', 'b', 'c', 'd'] as const;

const kindNames = Array.from({ length: EVENT_KIND_COUNT }, (_, k) => EventKindName[k] ?? 'None');

function kindDictionaryType(): Dictionary<Utf8, Uint8> {
  return new Dictionary(new Utf8(), new Uint8(), 0, false);
}

function schema(meta: RunMeta, store: EventStore): Schema {
  const fields = [
    new Field('seq', new Uint32(), false),
    new Field('t_ns', new Float64(), false),
    new Field('kind', new Uint8(), false),
    new Field('kind_name', kindDictionaryType(), false),
    new Field('pid', new Int32(), false),
    new Field('a', new Float64(), false),
    new Field('b', new Float64(), false),
    new Field('c', new Float64(), false),
    new Field('d', new Float64(), false),
  ];
  const strings: string[] = [];
  for (let i = 0; i < store.stringCount; i++) strings.push(store.string(i));
  const metadata = new Map<string, string>([
    ['restorelab.format', ARROW_LOG_FORMAT],
    ['restorelab.meta', JSON.stringify(meta)],
    ['restorelab.strings', JSON.stringify(strings)],
  ]);
  return new Schema(fields, metadata);
}

/** The event log as an Arrow IPC file (Feather v2): `pyarrow.feather.read_table(f)`, `polars.read_ipc(f)`. */
export function arrowLogBytes(meta: RunMeta, store: EventStore): Uint8Array {
  const s = schema(meta, store);
  const dictionary = vectorFromArray(kindNames, new Utf8());
  const batches: RecordBatch[] = [];
  const n = store.length;
  // An empty log still gets one (empty) batch, so readers see the schema's columns.
  for (let from = 0; from === 0 || from < n; from += ROWS_PER_BATCH) {
    const to = Math.min(n, from + ROWS_PER_BATCH);
    const length = to - from;
    const seq = new Uint32Array(length);
    for (let i = 0; i < length; i++) seq[i] = from + i;
    const children: Data[] = [
      makeData({ type: new Uint32(), length, nullCount: 0, data: seq }),
      makeData({ type: new Float64(), length, nullCount: 0, data: store.t.slice(from, to) }),
      makeData({ type: new Uint8(), length, nullCount: 0, data: store.kind.slice(from, to) }),
      // its own copy: the IPC writer corrupts the file when two columns share one buffer
      makeData({ type: kindDictionaryType(), length, nullCount: 0, data: store.kind.slice(from, to), dictionary }),
      makeData({ type: new Int32(), length, nullCount: 0, data: store.pid.slice(from, to) }),
      makeData({ type: new Float64(), length, nullCount: 0, data: store.a.slice(from, to) }),
      makeData({ type: new Float64(), length, nullCount: 0, data: store.b.slice(from, to) }),
      makeData({ type: new Float64(), length, nullCount: 0, data: store.c.slice(from, to) }),
      makeData({ type: new Float64(), length, nullCount: 0, data: store.d.slice(from, to) }),
    ];
    batches.push(new RecordBatch(s, makeData({ type: new Struct(s.fields), length, nullCount: 0, children })));
  }
  return tableToIPC(new Table(s, batches), 'file');
}

/** Writes the log to `file` through a temporary file, so a file that exists is complete. */
export function writeArrowLog(file: string, meta: RunMeta, store: EventStore): void {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  fs.writeFileSync(tmp, arrowLogBytes(meta, store));
  fs.renameSync(tmp, file);
}

/** True when the bytes start like an Arrow IPC file. */
export function isArrowFile(head: Uint8Array): boolean {
  return head.length >= 6 && Buffer.from(head.subarray(0, 6)).toString('latin1') === 'ARROW1';
}

/** Reads an Arrow event log back into an EventStore. Every problem is one UsageError line naming the file. */
export function readArrowLog(file: string): EventLog {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file, FILE_LIMITS.eventLog);
  } catch (e) {
    throw new UsageError(`cannot read log ${file}: ${fileError(e)}`);
  }
  return parseArrowLog(bytes, file);
}

export function parseArrowLog(bytes: Uint8Array, name: string): EventLog {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new UsageError(`log ${name} is not a readable Arrow file: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const md = table.schema.metadata;
  if (md.get('restorelab.format') !== ARROW_LOG_FORMAT)
    throw new UsageError(`log ${name} is an Arrow file but not a restorelab event log (no ${ARROW_LOG_FORMAT} metadata)`);
  let meta: RunMeta;
  let strings: unknown;
  try {
    meta = JSON.parse(md.get('restorelab.meta') ?? '') as RunMeta;
    strings = JSON.parse(md.get('restorelab.strings') ?? '[]');
  } catch {
    throw new UsageError(`log ${name}: bad JSON in its restorelab metadata`);
  }
  const badMeta = checkRunMeta(meta);
  if (badMeta) throw new UsageError(`log ${name}: restorelab.meta is not restorelab run metadata (${badMeta})`);
  if (!Array.isArray(strings) || strings.some((s) => typeof s !== 'string'))
    throw new UsageError(`log ${name}: restorelab.strings is not a list of strings`);
  for (const col of ARROW_LOG_COLUMNS) {
    if (!table.getChild(col)) throw new UsageError(`log ${name} has no column '${col}'`);
  }
  const store = new EventStore();
  const bounds = new LogBounds(meta);
  for (const s of strings as string[]) store.intern(s);
  for (const batch of table.batches) {
    const col = <T>(c: string) => batch.getChild(c)!.toArray() as T;
    const t = col<Float64Array>('t_ns');
    const kind = col<Uint8Array>('kind');
    const pid = col<Int32Array>('pid');
    const a = col<Float64Array>('a');
    const b = col<Float64Array>('b');
    const c = col<Float64Array>('c');
    const d = col<Float64Array>('d');
    for (let i = 0; i < batch.numRows; i++) {
      const k = kind[i];
      if (k === 0 || k >= EVENT_KIND_COUNT) throw new UsageError(`log ${name}: event #${store.length} has unknown kind ${k}`);
      const outside = bounds.check(k, pid[i], a[i], b[i], c[i]);
      if (outside) throw new UsageError(`log ${name}: event #${store.length}: ${outside}`);
      if ((k === EventKind.StrategyAttached || k === EventKind.StrategyFailed) && !(isIndex(a[i], store.stringCount) && (k === EventKind.StrategyAttached || isIndex(b[i], store.stringCount))))
        throw new UsageError(`log ${name}: event #${store.length} names a string the log has not defined`);
      store.append(k, t[i], pid[i], a[i], b[i], c[i], d[i]);
    }
  }
  return { meta, store };
}

function isIndex(x: number, n: number): boolean {
  return Number.isInteger(x) && x >= 0 && x < n;
}
