import * as fs from 'fs';
import * as path from 'path';
import {
  ADVICE_BYTES,
  FORMAT_VERSION,
  PLAN_ADVICE,
  PLAN_FILE,
  PLAN_HEADER as H,
  PLAN_MAGIC,
  PLAN_PROC as P,
  PLAN_RANGE as R,
  PLAN_VMA as V,
  PROC_BYTES,
  RANGE_BYTES,
  TRACE_HEADER as T,
  TRACE_MAGIC,
  VMA_BYTES,
} from './run-files';

/** plan.bin and trace-<i>.bin read back, as the runner reads them (native/common/plan-format.h). */

export interface PlanVma {
  readonly start: number;
  readonly pages: number;
  readonly firstPage: number;
  readonly thp: number;
  readonly collapse: boolean;
  readonly windowForward: number;
  readonly windowBackward: number;
}

export interface PlanProc {
  readonly pid: number;
  /** Index of the parent, -1 for the root. */
  readonly parent: number;
  readonly vmas: readonly PlanVma[];
  readonly totalPages: number;
  readonly pageFlags: Uint8Array;
  readonly accesses: number;
}

export interface PlanAdvice {
  readonly proc: number;
  readonly vma: number;
  readonly advice: number;
}

export interface PlanRange {
  readonly proc: number;
  readonly source: number;
  readonly page: number;
  readonly count: number;
}

export interface DecodedPlan {
  readonly flags: number;
  readonly procs: readonly PlanProc[];
  readonly adviseBeforeFill: readonly PlanAdvice[];
  readonly prefill: readonly PlanRange[];
  readonly adviseAfterRegister: readonly PlanAdvice[];
  readonly precopy: readonly PlanRange[];
}

export interface DecodedTrace {
  readonly page: Uint32Array;
  readonly gapNs: Uint32Array;
  readonly write: Uint8Array;
}

function reader(buf: Buffer, what: string) {
  const need = (o: number, n: number) => {
    if (!(o >= 0 && o + n <= buf.length)) throw new Error(`${what}: a record at byte ${o} is past the end (${buf.length} bytes)`);
  };
  const u32 = (o: number) => (need(o, 4), buf.readUInt32LE(o));
  const i32 = (o: number) => (need(o, 4), buf.readInt32LE(o));
  const u64 = (o: number) => {
    need(o, 8);
    const v = buf.readBigUInt64LE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what}: a field at byte ${o} is out of range`);
    return Number(v);
  };
  const u8 = (o: number) => (need(o, 1), buf[o]);
  return { need, u32, i32, u64, u8 };
}

export function decodePlan(buf: Buffer): DecodedPlan {
  const r = reader(buf, PLAN_FILE);
  if (r.u32(H.magic) !== PLAN_MAGIC || r.u32(H.version) !== FORMAT_VERSION) throw new Error(`${PLAN_FILE}: not a plan of format ${FORMAT_VERSION}`);
  const nprocs = r.u32(H.nprocs);
  const flags = r.u32(H.flags);
  const [nBefore, nPrefill, nAfter, nPrecopy] = [H.n_advise_before, H.n_prefill, H.n_advise_after, H.n_precopy].map((o) => r.u32(o));
  const [procsOff, vmasOff, flagsOff, beforeOff, prefillOff, afterOff, precopyOff] = [
    H.procs_off, H.vmas_off, H.page_flags_off, H.advise_before_off, H.prefill_off, H.advise_after_off, H.precopy_off,
  ].map((o) => r.u64(o));
  r.need(procsOff, nprocs * PROC_BYTES);
  const procs: PlanProc[] = [];
  for (let i = 0; i < nprocs; i++) {
    const o = procsOff + i * PROC_BYTES;
    const firstVma = r.u32(o + P.first_vma);
    const nvmas = r.u32(o + P.nvmas);
    const totalPages = r.u64(o + P.total_pages);
    const flagPos = r.u64(o + P.page_flags_pos);
    r.need(vmasOff + firstVma * VMA_BYTES, nvmas * VMA_BYTES);
    r.need(flagsOff + flagPos, totalPages);
    const vmas: PlanVma[] = [];
    for (let k = 0; k < nvmas; k++) {
      const v = vmasOff + (firstVma + k) * VMA_BYTES;
      vmas.push({
        start: r.u64(v + V.start),
        pages: r.u64(v + V.pages),
        firstPage: r.u64(v + V.first_page),
        thp: r.u8(v + V.thp),
        collapse: r.u8(v + V.collapse) !== 0,
        windowForward: r.u32(v + V.window_forward),
        windowBackward: r.u32(v + V.window_backward),
      });
    }
    procs.push({
      pid: r.i32(o + P.pid),
      parent: r.i32(o + P.parent),
      vmas,
      totalPages,
      pageFlags: new Uint8Array(buf.subarray(flagsOff + flagPos, flagsOff + flagPos + totalPages)),
      accesses: r.u64(o + P.accesses),
    });
  }
  const advice = (off: number, n: number): PlanAdvice[] => {
    r.need(off, n * ADVICE_BYTES);
    return Array.from({ length: n }, (_, k) => {
      const o = off + k * ADVICE_BYTES;
      return { proc: r.u32(o + PLAN_ADVICE.proc), vma: r.u32(o + PLAN_ADVICE.vma), advice: r.u32(o + PLAN_ADVICE.advice) };
    });
  };
  const ranges = (off: number, n: number): PlanRange[] => {
    r.need(off, n * RANGE_BYTES);
    return Array.from({ length: n }, (_, k) => {
      const o = off + k * RANGE_BYTES;
      return { proc: r.u32(o + R.proc), source: r.u32(o + R.source), page: r.u64(o + R.page), count: r.u64(o + R.count) };
    });
  };
  return {
    flags,
    procs,
    adviseBeforeFill: advice(beforeOff, nBefore),
    prefill: ranges(prefillOff, nPrefill),
    adviseAfterRegister: advice(afterOff, nAfter),
    precopy: ranges(precopyOff, nPrecopy),
  };
}

export function decodeTrace(buf: Buffer, name: string): DecodedTrace {
  const r = reader(buf, name);
  if (r.u32(T.magic) !== TRACE_MAGIC || r.u32(T.version) !== FORMAT_VERSION) throw new Error(`${name}: not a trace of format ${FORMAT_VERSION}`);
  const n = r.u64(T.accesses);
  const [pageOff, gapOff, writeOff] = [r.u64(T.page_off), r.u64(T.gap_off), r.u64(T.write_off)];
  r.need(pageOff, 4 * n);
  r.need(gapOff, 4 * n);
  r.need(writeOff, n);
  const words = (off: number) => {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = buf.readUInt32LE(off + 4 * i);
    return out;
  };
  return { page: words(pageOff), gapNs: words(gapOff), write: new Uint8Array(buf.subarray(writeOff, writeOff + n)) };
}

export function readRunFiles(dir: string): { plan: DecodedPlan; traces: DecodedTrace[] } {
  const plan = decodePlan(fs.readFileSync(path.join(dir, PLAN_FILE)));
  const traces = plan.procs.map((_, i) => {
    const name = `trace-${i}.bin`;
    return decodeTrace(fs.readFileSync(path.join(dir, name)), name);
  });
  return { plan, traces };
}
