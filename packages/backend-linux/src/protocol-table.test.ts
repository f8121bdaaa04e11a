import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CopyCause,
  CopyPriority,
  EventKind,
  FaultFlag,
  MAX_COPY_PAGES,
  PAGES_PER_HUGE_PAGE,
  MAX_REPORTED_MISMATCHES,
  MAX_RULE_PAGES,
  PageFlag,
  PRECOPY_BATCH_PAGES,
  PrefillSource,
  RejectReason,
  ThpAdviceCode,
} from '@restorelab/core';
import { InternalKind } from './native-run';
import { RECORD_DOUBLES, RingSlot } from './ring-layout';
import * as rf from './run-files';
import * as ps from './page-server/page-server-protocol';

/**
 * The protocol's numbers are defined once on each side: native/common/protocol.h and plan-format.h
 * for C, core's tables and run-files.ts for TypeScript. This compiles the headers and compares
 * every macro, struct size and field offset with its TypeScript twin, in both directions.
 */
const common = path.join(__dirname, '..', 'native', 'common');
const headers = ['protocol.h', 'plan-format.h', 'page-server-protocol.h'];

/** Macros the runner and the monitor share that have no TypeScript twin. */
const NATIVE_ONLY = new Set([
  'RL_START_MAGIC', 'RL_DONE_MAGIC', 'RL_PROGRESS_EVERY',
  'RL_PHASE_FILL', 'RL_PHASE_INHERIT', 'RL_PHASE_REGISTER', 'RL_PHASE_AFTER',
  // the pre-copy source and the destination runner's own
  'RL_PRECOPY_STALE_MARK', 'RL_PRECOPY_RUNS_PER_MSG',
]);

const snake = (k: string) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
const prefixed = (prefix: string, table: Readonly<Record<string, number>>) =>
  Object.entries(table).map(([k, v]) => [`${prefix}${snake(k)}`, v] as const);

const expected = new Map<string, number | string>([
  ...prefixed('RL_EV_', EventKind),
  ...prefixed('RL_CAUSE_', CopyCause),
  ...prefixed('RL_PRIORITY_', CopyPriority),
  ...prefixed('RL_REJECT_', RejectReason),
  ...prefixed('RL_FAULT_', FaultFlag),
  ...prefixed('RL_INTERNAL_', InternalKind),
  ...prefixed('RL_PAGE_', PageFlag),
  ...prefixed('RL_THP_', ThpAdviceCode),
  ...prefixed('RL_PREFILL_', PrefillSource),
  ...prefixed('RL_PLAN_', rf.PlanFlag),
  ['RL_RECORD_DOUBLES', RECORD_DOUBLES],
  ...prefixed('RL_RING_', RingSlot),
  ['RL_MAX_COPY_PAGES', MAX_COPY_PAGES],
  ['RL_HUGETLB_PAGES', PAGES_PER_HUGE_PAGE],
  ['RL_MAX_RULE_PAGES', MAX_RULE_PAGES],
  ['RL_MAX_REPORTED_MISMATCHES', MAX_REPORTED_MISMATCHES],
  ['RL_PLAN_MAGIC', rf.PLAN_MAGIC],
  ['RL_TRACE_MAGIC', rf.TRACE_MAGIC],
  ['RL_FORMAT_VERSION', rf.FORMAT_VERSION],
  ['RL_PLAN_FILE', rf.PLAN_FILE],
  ['RL_PAGES_FILE', rf.PAGES_FILE],
  ['RL_SOCKET_FILE', rf.SOCKET_FILE],
  ['RL_PROGRESS_FILE', rf.PROGRESS_FILE],
  ['RL_PRECOPY_SOCKET_FILE', rf.PRECOPY_SOCKET_FILE],
  ['RL_SOURCE_TRACE_FILE', rf.SOURCE_TRACE_FILE],
  ['RL_DEST_VMAS_FILE', rf.DEST_VMAS_FILE],
  ['RL_PRECOPY_BATCH_PAGES', PRECOPY_BATCH_PAGES],
  ['RL_PS_MAGIC', ps.PS_MAGIC],
  ['RL_PS_VERSION', ps.PS_VERSION],
  ...prefixed('RL_PS_CHANNEL_', ps.PsChannel),
  ['RL_PS_OK', ps.PsStatus.Ok],
  ['RL_PS_BAD_TOKEN', ps.PsStatus.BadToken],
  ['RL_PS_TOKEN_MAX', ps.PS_TOKEN_MAX],
  ['RL_PS_MAX_REQUEST_PAGES', ps.PS_MAX_REQUEST_PAGES],
  ['RL_PS_HELLO_TIMEOUT_MS', ps.PS_HELLO_TIMEOUT_MS],
  ['RL_PS_REPLY_GRACE_MS', ps.PS_REPLY_GRACE_MS],
]);

const structs: readonly [string, number, Readonly<Record<string, number>>][] = [
  ['rl_plan_header', rf.HEADER_BYTES, rf.PLAN_HEADER],
  ['rl_plan_proc', rf.PROC_BYTES, rf.PLAN_PROC],
  ['rl_plan_vma', rf.VMA_BYTES, rf.PLAN_VMA],
  ['rl_plan_advice', rf.ADVICE_BYTES, rf.PLAN_ADVICE],
  ['rl_plan_range', rf.RANGE_BYTES, rf.PLAN_RANGE],
  ['rl_trace_header', rf.TRACE_HEADER_BYTES, rf.TRACE_HEADER],
  ['rl_ps_hello', ps.PS_HELLO_BYTES, ps.PS_HELLO],
  ['rl_ps_welcome', ps.PS_WELCOME_BYTES, ps.PS_WELCOME],
  ['rl_ps_request', ps.PS_REQUEST_BYTES, ps.PS_REQUEST],
];

function macros(): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const h of headers) {
    for (const m of fs.readFileSync(path.join(common, h), 'utf8').matchAll(/^#define (RL_\w+) +(\S+)/gm)) out.set(m[1], m[2].startsWith('"'));
  }
  return out;
}

/** What the C compiler says: every macro's value, every struct's size and field offsets. */
function compiled(): Map<string, string> {
  const lines: string[] = [];
  for (const [name, isString] of macros()) {
    lines.push(isString ? `printf("%s=%s\\n", "${name}", ${name});` : `printf("%s=%.17g\\n", "${name}", (double)(${name}));`);
  }
  for (const [s, , fields] of structs) {
    lines.push(`printf("sizeof ${s}=%zu\\n", sizeof(struct ${s}));`);
    for (const f of Object.keys(fields)) lines.push(`printf("${s}.${f}=%zu\\n", offsetof(struct ${s}, ${f}));`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-protocol-'));
  try {
    const src = path.join(dir, 'table.c');
    const exe = path.join(dir, 'table');
    fs.writeFileSync(src, `#include <stddef.h>\n#include <stdio.h>\n${headers.map((h) => `#include "${h}"`).join('\n')}\nint main(void) {\n${lines.join('\n')}\nreturn 0;\n}\n`);
    execFileSync('cc', ['-std=c11', '-Wall', '-Werror', '-I', common, '-o', exe, src]);
    const out = execFileSync(exe, { encoding: 'utf8' });
    return new Map(out.trim().split('\n').map((l) => l.split('=') as [string, string]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('one protocol table: the native headers and the TypeScript tables agree', () => {
  const c = compiled();

  it('every TypeScript constant has its macro, with the same value', () => {
    const wrong = [...expected].filter(([name, v]) => c.get(name) !== String(v)).map(([name, v]) => `${name}: ts ${v}, c ${c.get(name)}`);
    expect(wrong).toEqual([]);
  });

  it('every macro has its TypeScript twin or is the runner and monitor\'s own', () => {
    const orphans = [...macros().keys()].filter((m) => !expected.has(m) && !NATIVE_ONLY.has(m));
    expect(orphans).toEqual([]);
    expect(expected.size).toBeGreaterThan(60);
  });

  it.each(structs)('struct %s: size and field offsets', (s, size, fields) => {
    expect(Number(c.get(`sizeof ${s}`))).toBe(size);
    for (const [f, off] of Object.entries(fields)) expect([f, Number(c.get(`${s}.${f}`))]).toEqual([f, off]);
  });
});
