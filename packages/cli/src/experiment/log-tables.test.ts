import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tableFromIPC } from 'apache-arrow';
import { CopyCause, EVENT_FIELDS, EventKind, EventKindName, EventStore, RunMeta } from '@restorelab/core';
import { kindsByName, writeLogTables } from './log-tables';

const meta: RunMeta = { format: 'restorelab-log', version: 1, backend: 'sim', workload: 'seq:pages=8', strategy: 's', seed: 1, pageSize: 4096, processes: 1, totalPages: 8 };
let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-log-tables-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function log(): EventStore {
  const s = new EventStore();
  s.append(EventKind.RestoreStarted, 0, 0, 8, 1, 8, 0);
  s.append(EventKind.StrategyAttached, 0, 0, s.intern('neighbor-prefetch:window=4'), 0, 0, 0);
  s.append(EventKind.FaultRaised, 10, 1, 3, 100, 1, 0);
  s.append(EventKind.PagesCopied, 20, 1, 3, 1, CopyCause.Demand, 1);
  s.append(EventKind.PagesCopied, 21, 1, 4, 4, CopyCause.Prefetch, 0);
  s.append(EventKind.FaultResolved, 22, 1, 3, 12000, 0, 0);
  s.append(EventKind.RestoreEnded, 30, 0, 0, 0, 0, 0);
  return s;
}

const read = (file: string) => tableFromIPC(fs.readFileSync(file));

describe('writeLogTables', () => {
  it('writes one table per kind the log has, its fields as named columns', () => {
    const tables = writeLogTables({ meta, store: log() }, dir);
    expect(tables.map((t) => [t.kind, t.rows])).toEqual([
      ['RestoreStarted', 1],
      ['RestoreEnded', 1],
      ['FaultRaised', 1],
      ['FaultResolved', 1],
      ['PagesCopied', 2],
      ['StrategyAttached', 1],
    ]);
    const copied = read(path.join(dir, 'PagesCopied.arrow'));
    expect(copied.schema.fields.map((f) => f.name)).toEqual(['seq', 't_ns', 'pid', 'page', 'count', 'cause', 'cause_name', 'copy_calls']);
    expect(copied.toArray().map((r) => r.toJSON())).toEqual([
      { seq: 3, t_ns: 20, pid: 1, page: 3, count: 1, cause: 0, cause_name: 'demand', copy_calls: 1 },
      { seq: 4, t_ns: 21, pid: 1, page: 4, count: 4, cause: 1, cause_name: 'prefetch', copy_calls: 0 },
    ]);
    expect(read(path.join(dir, 'FaultResolved.arrow')).getChild('latency_ns')!.toArray()).toEqual(new Float64Array([12000]));
    expect(read(path.join(dir, 'StrategyAttached.arrow')).getChild('strategy')!.toArray()).toEqual(['neighbor-prefetch:window=4']);
    expect(JSON.parse(copied.schema.metadata.get('restorelab.meta')!)).toEqual(meta);
  });

  it('writes only the kinds asked for', () => {
    expect(writeLogTables({ meta, store: log() }, dir, kindsByName(['FaultResolved', 'PageMismatch'])).map((t) => t.kind)).toEqual(['FaultResolved']);
    expect(fs.readdirSync(dir)).toEqual(['FaultResolved.arrow']);
  });

  it('names every field of every kind, never two alike within a kind', () => {
    for (const [k, name] of Object.entries(EventKindName)) {
      const fields = EVENT_FIELDS[Number(k)];
      expect([name, fields?.length]).toEqual([name, 4]);
      const names = fields.flatMap((f) => (f ? [f.name, ...(f.codes ? [`${f.name}_name`] : [])] : []));
      expect(new Set([...names, 'seq', 't_ns', 'pid']).size).toBe(names.length + 3);
    }
  });
});

describe('kindsByName', () => {
  it('refuses a name that is not a kind, with a suggestion or the list', () => {
    expect(() => kindsByName(['FaultResolvd'])).toThrow(/^unknown event kind 'FaultResolvd'; did you mean 'FaultResolved'\?$/);
    expect(() => kindsByName(['nothing'])).toThrow(/^unknown event kind 'nothing'; the kinds are RestoreStarted, .*FaultStalled, PrecopyRound, SwitchOver, PagesDiscarded$/);
  });
});

describe('docs/experiments.md', () => {
  it('lists the columns of every kind as EVENT_FIELDS names them', () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', '..', 'docs', 'experiments.md'), 'utf8');
    for (const [k, fields] of Object.entries(EVENT_FIELDS)) {
      const cols = fields
        .filter((f) => f !== null)
        .map((f) => `\`${f!.name}\`${f!.codes ? ` (\`${f!.name}_name\`: ${f!.codes.join(', ')})` : ''}${f!.string ? ' (string)' : ''}`);
      expect(doc).toContain(`| ${EventKindName[Number(k)]} | ${cols.length > 0 ? cols.join(', ') : '–'} |`);
    }
  });
});
