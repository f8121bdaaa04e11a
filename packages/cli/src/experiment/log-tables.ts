import * as fs from 'fs';
import * as path from 'path';
import { Float64, Int32, makeData, Table, tableToIPC, Uint32, Utf8, Vector, vectorFromArray, makeVector } from 'apache-arrow';
import { writeFileAtomic } from './output-dir';
import { didYouMean, EVENT_FIELDS, EventKind, EventKindName, EventLog, UsageError } from '@restorelab/core';

export interface LogTable {
  readonly kind: string;
  readonly rows: number;
  readonly file: string;
}

const FIELDS = ['a', 'b', 'c', 'd'] as const;

/** The kinds by name (UsageError with a suggestion for a name that is not one). */
export function kindsByName(names: readonly string[]): number[] {
  const known = Object.keys(EventKind);
  return names.map((n) => {
    const k = (EventKind as Record<string, number>)[n];
    if (k === undefined) {
      const hint = didYouMean(n, known);
      throw new UsageError(`unknown event kind '${n}'${hint || `; the kinds are ${known.join(', ')}`}`);
    }
    return k;
  });
}

/**
 * One Arrow IPC file per event kind of the log (`<dir>/<Kind>.arrow`), its fields as named columns
 * (EVENT_FIELDS): seq, t_ns, pid, then e.g. page and latency_ns for FaultResolved; string fields
 * hold the strings themselves. Only kinds the log has (of `kinds`, when given) get a file.
 */
export function writeLogTables(log: EventLog, dir: string, kinds?: readonly number[]): LogTable[] {
  const { store, meta } = log;
  const rowsOf = new Map<number, number[]>();
  for (let i = 0; i < store.length; i++) {
    const k = store.kind[i];
    if (kinds && !kinds.includes(k)) continue;
    let rows = rowsOf.get(k);
    if (!rows) rowsOf.set(k, (rows = []));
    rows.push(i);
  }
  fs.mkdirSync(dir, { recursive: true });
  const out: LogTable[] = [];
  for (const [k, rows] of [...rowsOf].sort((x, y) => x[0] - y[0])) {
    const n = rows.length;
    const pick = <T extends Float64Array | Int32Array>(src: T, into: T): T => {
      for (let r = 0; r < n; r++) into[r] = src[rows[r]];
      return into;
    };
    const seq = new Uint32Array(n);
    for (let r = 0; r < n; r++) seq[r] = rows[r];
    const columns: Record<string, Vector> = {
      seq: makeVector(makeData({ type: new Uint32(), length: n, data: seq })),
      t_ns: makeVector(makeData({ type: new Float64(), length: n, data: pick(store.t, new Float64Array(n)) })),
      pid: makeVector(makeData({ type: new Int32(), length: n, data: pick(store.pid, new Int32Array(n)) })),
    };
    EVENT_FIELDS[k].forEach((field, j) => {
      if (!field) return;
      const values = pick(store[FIELDS[j]], new Float64Array(n));
      columns[field.name] = field.string
        ? vectorFromArray(Array.from(values, (v) => store.string(v)), new Utf8())
        : makeVector(makeData({ type: new Float64(), length: n, data: values }));
      const codes = field.codes;
      if (codes) columns[`${field.name}_name`] = vectorFromArray(Array.from(values, (v) => codes[v] ?? null), new Utf8());
    });
    const table = new Table(columns);
    table.schema.metadata.set('restorelab.meta', JSON.stringify(meta));
    const name = EventKindName[k];
    const file = path.join(dir, `${name}.arrow`);
    writeFileAtomic(file, tableToIPC(table, 'file'));
    out.push({ kind: name, rows: n, file });
  }
  return out;
}
