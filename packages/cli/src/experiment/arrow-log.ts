import { writeFileAtomic } from './output-dir';
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
  RecordBatchReader,
  tableToIPC,
  Uint32,
  Uint8,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import {
  checkRunMeta,
  EVENT_FIELDS,
  EVENT_KIND_COUNT,
  EventKindName,
  EventLog,
  EventStore,
  eventStoreCrc32,
  LogBounds,
  namesUndefinedString,
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

/** What a, b, c and d mean for each kind, by kind name (null: unused): EVENT_FIELDS for readers without restorelab. */
const FIELDS_JSON = JSON.stringify(
  Object.fromEntries(Object.entries(EVENT_FIELDS).map(([k, fields]) => [EventKindName[Number(k)], fields.map((f) => f?.name ?? null)])),
);

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
    ['restorelab.fields', FIELDS_JSON],
    ['restorelab.crc32', String(eventStoreCrc32(store))],
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
  writeFileAtomic(file, arrowLogBytes(meta, store));
}

/** True when the bytes start like an Arrow IPC file. */
export function isArrowFile(head: Uint8Array): boolean {
  return head.length >= 6 && Buffer.from(head.subarray(0, 6)).toString('latin1') === 'ARROW1';
}

/**
 * The smallest a record batch takes in an Arrow file (its block: a message of at least a length
 * prefix, a flatbuffer header and its body's buffers): a footer that claims more batches than the
 * file could hold is refused before any is read.
 */
const MIN_BATCH_BYTES = 64;

function readArrowTable(bytes: Uint8Array, name: string): Table {
  const refused = (e: unknown) => new UsageError(`log ${name} is not a readable Arrow file: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  let reader: RecordBatchReader;
  try {
    reader = RecordBatchReader.from(bytes);
    reader.open();
  } catch (e) {
    throw refused(e);
  }
  if (reader.isFile() && reader.numRecordBatches > bytes.length / MIN_BATCH_BYTES)
    throw new UsageError(`log ${name} is corrupt: its Arrow footer claims ${reader.numRecordBatches} record batches, more than ${bytes.length} bytes can hold`);
  const batches: RecordBatch[] = [];
  try {
    if (reader.isFile()) {
      // block by block, each once: the reader's own iteration starts over at a block that holds
      // a schema message, without end
      for (let i = 0; i < reader.numRecordBatches; i++) {
        const b = reader.readRecordBatch(i) as RecordBatch | null;
        if (!b) throw new Error(`record batch ${i} of the footer is not a record batch`);
        batches.push(b);
      }
    } else for (const b of reader) batches.push(b);
    return new Table(reader.schema, batches);
  } catch (e) {
    throw refused(e);
  }
}

/** An Arrow event log in memory, in this process: for trusted bytes (see readArrowLog for files). */
export function parseArrowLog(bytes: Uint8Array, name: string): EventLog {
  const table = readArrowTable(bytes, name);
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
      if (namesUndefinedString(k, a[i], b[i], store.stringCount))
        throw new UsageError(`log ${name}: event #${store.length} names a string the log has not defined`);
      store.append(k, t[i], pid[i], a[i], b[i], c[i], d[i]);
    }
  }
  // files written before the checksum have none; one that is there must match
  const crc = md.get('restorelab.crc32');
  if (crc !== undefined && crc !== String(eventStoreCrc32(store)))
    throw new UsageError(`log ${name} is corrupt: its events do not match their CRC-32 (restorelab.crc32)`);
  return { meta, store };
}
