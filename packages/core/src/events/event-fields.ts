import { CopyCauseName, CopyPriorityName, EventKind, PrefillSourceName, RejectReasonName, SwitchReasonName, ThpAdviceName } from './event-kind';

/** A field of an event as a named column: its name, and whether it indexes the log's string table. */
export interface EventField {
  readonly name: string;
  readonly string?: true;
  /** For a code: the name of each value (e.g. CopyCause), given as a `<name>_name` column too. */
  readonly codes?: readonly string[];
}

const f = (name: string, codes?: readonly string[]): EventField => (codes ? { name, codes } : { name });
const s = (name: string): EventField => ({ name, string: true });
const page = f('page');
const count = f('count');

/**
 * What fields a, b, c and d of each kind mean, as column names (the event table of
 * docs/event-log.md; null: the field is unused). A page range is always `page` and `count`.
 */
export const EVENT_FIELDS: Readonly<Record<number, readonly [EventField | null, EventField | null, EventField | null, EventField | null]>> = {
  [EventKind.RestoreStarted]: [f('lazy_pages'), f('processes'), f('total_pages'), null],
  [EventKind.RestoreEnded]: [null, null, null, null],
  [EventKind.VmaRegistered]: [f('vma'), page, count, f('mode')],
  [EventKind.MadviseApplied]: [f('vma'), f('advice', ThpAdviceName), f('ok'), null],
  [EventKind.PagesPrefilled]: [page, count, f('source', PrefillSourceName), null],
  [EventKind.HugePageCollapsed]: [f('vma'), page, count, null],
  [EventKind.FaultRaised]: [page, f('tid'), f('fault_flags'), null],
  [EventKind.FaultResolved]: [page, f('latency_ns'), null, null],
  [EventKind.PagesCopied]: [page, count, f('cause', CopyCauseName), f('copy_calls')],
  [EventKind.ZeroPageMapped]: [page, count, null, null],
  [EventKind.CopyQueued]: [page, count, f('cause', CopyCauseName), f('priority', CopyPriorityName)],
  [EventKind.CopyRejected]: [page, count, f('reason', RejectReasonName), f('cause', CopyCauseName)],
  [EventKind.ProcessForked]: [f('child_pid'), null, null, null],
  [EventKind.VmaRemapped]: [page, count, f('new_page'), null],
  [EventKind.VmaRemoved]: [page, count, null, null],
  [EventKind.VmaUnmapped]: [page, count, null, null],
  [EventKind.StrategyAttached]: [s('strategy'), f('stack_index'), null, null],
  [EventKind.StrategyFailed]: [s('strategy'), s('message'), f('stack_index'), null],
  [EventKind.WorkloadStarted]: [f('accesses'), null, null, null],
  [EventKind.WorkloadEnded]: [f('accesses'), null, null, null],
  [EventKind.PagesTouched]: [page, count, null, null],
  [EventKind.MemorySampled]: [f('rss_bytes'), f('pss_bytes'), f('private_bytes'), null],
  [EventKind.PagesVerified]: [f('checked'), f('mismatched'), f('unrestored'), null],
  [EventKind.PageMismatch]: [page, null, null, null],
  [EventKind.CopyLanded]: [page, count, f('reacts_to'), f('queued_seq')],
  [EventKind.FaultRulesSet]: [f('stride'), f('stride_count'), f('successor_entries'), f('reacts_to')],
  [EventKind.FaultStalled]: [page, f('waited_ns'), null, null],
  [EventKind.PrecopyRound]: [f('round'), f('sent_pages'), f('dirty_pages'), f('round_ns')],
  [EventKind.SwitchOver]: [f('rounds'), f('discarded_pages'), f('reason', SwitchReasonName), f('source_passes')],
  [EventKind.PagesDiscarded]: [page, count, null, null],
};
