import * as fs from 'fs';
import * as path from 'path';
import { FaultWindowRule, FileImage, Image, PageFlag, ProcessTrace, RestorePlan, ThpAdviceCode } from '@restorelab/core';

/**
 * The run directory's input files, byte for byte as native/common/plan-format.h lays them out
 * (sizes checked there with static asserts): plan.bin, trace-<i>.bin and pages.bin.
 */

export const PLAN_MAGIC = 0x4e4c5052;
export const TRACE_MAGIC = 0x43525452;
export const FORMAT_VERSION = 3;
export const HEADER_BYTES = 128;
export const PROC_BYTES = 48;
export const VMA_BYTES = 40;
export const ADVICE_BYTES = 16;
export const RANGE_BYTES = 24;
export const TRACE_HEADER_BYTES = 40;

export const PLAN_FILE = 'plan.bin';
export const PAGES_FILE = 'pages.bin';
export const SOCKET_FILE = 'monitor.sock';
export const PROGRESS_FILE = 'progress.bin';

/** rl_plan_header.flags */
export const PlanFlag = {
  /** Benchmarks: touch pages without comparing them to the image. */
  NoVerify: 1,
  /**
   * The runner raises its priority (nice -10, like the monitor's fault thread) when permitted: the
   * restored process and its page server go before the event consumer (JS) on a busy machine.
   */
  Priority: 2,
  /** Tests: after its trace the runner moves VMA 0, discards the first page of VMA 1 and unmaps VMA 2. */
  ExerciseEvents: 4,
} as const;

/** UFFD_FEATURE_* bits the runner asks for: thread ids in faults and the non-cooperative events. */
export const RUNNER_UFFD_FEATURES = (1 << 8) | (1 << 2) | (1 << 3) | (1 << 6);

const PrefillSourceCode = { image: 0, strategy: 1 } as const;

export interface PlanInput {
  readonly image: Image;
  readonly plan: RestorePlan;
  readonly traces: readonly ProcessTrace[];
  windowFor(pid: number, vma: number): FaultWindowRule;
  readonly flags?: number;
  readonly uffdFeatures?: number;
  /** CPUs the runner and its forks run on (bit i: CPU i); 0 or absent: not pinned. */
  readonly runnerCpuMask?: number;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** The index of each pid in the image (the runner's process numbering). */
export function processIndex(image: Image): Map<number, number> {
  return new Map(image.processes.map((p, i) => [p.pid, i]));
}

export function encodePlan(input: PlanInput): Buffer {
  const { image, plan } = input;
  if (image.pageSize !== 4096) throw new Error(`the Linux backend restores 4096-byte pages, the image has ${image.pageSize}`);
  const index = processIndex(image);
  const procs = image.processes;
  const nvmas = procs.reduce((n, p) => n + p.vmas.length, 0);
  const flagBytes = procs.reduce((n, p) => n + p.totalPages, 0);
  const idx = (pid: number) => {
    const i = index.get(pid);
    if (i === undefined) throw new Error(`the plan names pid ${pid}, which the image does not have`);
    return i;
  };
  const procsOff = HEADER_BYTES;
  const vmasOff = procsOff + procs.length * PROC_BYTES;
  const flagsOff = vmasOff + nvmas * VMA_BYTES;
  const adviseBeforeOff = align8(flagsOff + flagBytes);
  const prefillOff = adviseBeforeOff + plan.adviseBeforeFill.length * ADVICE_BYTES;
  const adviseAfterOff = prefillOff + plan.prefill.length * RANGE_BYTES;
  const precopyOff = adviseAfterOff + plan.adviseAfterRegister.length * ADVICE_BYTES;
  const total = precopyOff + plan.precopy.length * RANGE_BYTES;

  const buf = Buffer.alloc(total);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u32 = (o: number, v: number) => dv.setUint32(o, v, true);
  const i32 = (o: number, v: number) => dv.setInt32(o, v, true);
  const u64 = (o: number, v: number) => dv.setBigUint64(o, BigInt(v), true);

  u32(0, PLAN_MAGIC);
  u32(4, FORMAT_VERSION);
  u32(8, image.pageSize);
  u32(12, procs.length);
  u32(16, nvmas);
  u32(20, input.flags ?? 0);
  u64(24, input.uffdFeatures ?? RUNNER_UFFD_FEATURES);
  u64(32, image.blobBytes);
  u32(40, plan.adviseBeforeFill.length);
  u32(44, plan.prefill.length);
  u32(48, plan.adviseAfterRegister.length);
  u32(52, plan.precopy.length);
  u64(56, procsOff);
  u64(64, vmasOff);
  u64(72, flagsOff);
  u64(80, adviseBeforeOff);
  u64(88, prefillOff);
  u64(96, adviseAfterOff);
  u64(104, precopyOff);
  u64(112, total);
  u64(120, input.runnerCpuMask ?? 0);

  let vmaAt = 0;
  let flagAt = 0;
  procs.forEach((p, i) => {
    const parent = p.parent === null ? -1 : idx(p.parent);
    if (parent >= i) throw new Error(`pid ${p.pid}: its parent ${p.parent} must come before it in the image`);
    const trace = input.traces.find((t) => t.pid === p.pid);
    const o = procsOff + i * PROC_BYTES;
    i32(o, p.pid);
    i32(o + 4, parent);
    u32(o + 8, vmaAt);
    u32(o + 12, p.vmas.length);
    u64(o + 16, p.totalPages);
    u64(o + 24, p.blobOffset);
    u64(o + 32, flagAt);
    u64(o + 40, trace ? trace.page.length - Math.min(trace.migrateAt, trace.page.length) : 0);
    for (const v of p.vmas) {
      const w = input.windowFor(p.pid, v.index);
      const vo = vmasOff + vmaAt * VMA_BYTES;
      u64(vo, v.start);
      u64(vo + 8, v.pages);
      u64(vo + 16, v.firstPage);
      dv.setUint8(vo + 24, v.prot === 'rw' ? 1 : 0);
      dv.setUint8(vo + 25, v.shared ? 1 : 0);
      dv.setUint8(vo + 26, v.anon ? 1 : 0);
      dv.setUint8(vo + 27, ThpAdviceCode[v.thp]);
      dv.setUint8(vo + 28, v.collapseBeforeRegister ? 1 : 0);
      u32(vo + 32, w.forward);
      u32(vo + 36, w.backward);
      vmaAt++;
    }
    buf.set(p.pageFlags, flagsOff + flagAt);
    flagAt += p.totalPages;
  });
  const advice = (off: number, steps: RestorePlan['adviseBeforeFill']) =>
    steps.forEach((s, k) => {
      const o = off + k * ADVICE_BYTES;
      u32(o, idx(s.pid));
      u32(o + 4, s.vma);
      u32(o + 8, ThpAdviceCode[s.advice]);
    });
  advice(adviseBeforeOff, plan.adviseBeforeFill);
  advice(adviseAfterOff, plan.adviseAfterRegister);
  plan.prefill.forEach((r, k) => {
    const o = prefillOff + k * RANGE_BYTES;
    u32(o, idx(r.pid));
    u32(o + 4, PrefillSourceCode[r.source]);
    u64(o + 8, r.page);
    u64(o + 16, r.count);
  });
  plan.precopy.forEach((r, k) => {
    const o = precopyOff + k * RANGE_BYTES;
    u32(o, idx(r.pid));
    u64(o + 8, r.page);
    u64(o + 16, r.count);
  });
  return buf;
}

/** The restore phase of a trace ([migrateAt, end)), as trace-<i>.bin. */
export function encodeTrace(trace: ProcessTrace): Buffer {
  const from = Math.min(trace.migrateAt, trace.page.length);
  const n = trace.page.length - from;
  const pageOff = TRACE_HEADER_BYTES;
  const gapOff = pageOff + 4 * n;
  const writeOff = gapOff + 4 * n;
  const buf = Buffer.alloc(writeOff + n);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setUint32(0, TRACE_MAGIC, true);
  dv.setUint32(4, FORMAT_VERSION, true);
  dv.setBigUint64(8, BigInt(n), true);
  dv.setBigUint64(16, BigInt(pageOff), true);
  dv.setBigUint64(24, BigInt(gapOff), true);
  dv.setBigUint64(32, BigInt(writeOff), true);
  const bytes = (a: Uint32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  buf.set(bytes(trace.page.subarray(from)), pageOff);
  buf.set(bytes(trace.gapNs.subarray(from)), gapOff);
  buf.set(bytes(trace.write.subarray(from)), writeOff);
  return buf;
}

const BATCH_PAGES = 256;

/**
 * dir/pages.bin: a link to the image's own blob when it was read from disk, else written here,
 * content pages only (zero pages stay holes of a sparse file). A scratch file of the run: no
 * manifest, checksum or fsync.
 */
export function writePagesFile(image: Image, dir: string): string {
  const target = path.join(dir, PAGES_FILE);
  if (image instanceof FileImage) {
    fs.symlinkSync(path.resolve(image.blobPath), target);
    return target;
  }
  const ps = image.pageSize;
  const fd = fs.openSync(target, 'w', 0o600);
  try {
    fs.ftruncateSync(fd, image.blobBytes);
    const batch = new Uint8Array(BATCH_PAGES * ps);
    for (const p of image.processes) {
      let start = 0;
      let n = 0;
      const flush = () => {
        let done = 0;
        const len = n * ps;
        while (done < len) done += fs.writeSync(fd, batch, done, len - done, p.blobOffset + start * ps + done);
        n = 0;
      };
      for (let page = 0; page < p.totalPages; page++) {
        if (!(p.pageFlags[page] & PageFlag.Content)) {
          if (n) flush();
          continue;
        }
        if (n === BATCH_PAGES) flush();
        if (n === 0) start = page;
        image.readPage(p.pid, page, batch.subarray(n * ps, (n + 1) * ps));
        n++;
      }
      if (n) flush();
    }
  } finally {
    fs.closeSync(fd);
  }
  return target;
}

export function writeRunFiles(dir: string, input: PlanInput): void {
  fs.writeFileSync(path.join(dir, PLAN_FILE), encodePlan(input), { mode: 0o600 });
  input.image.processes.forEach((p, i) => {
    const trace = input.traces.find((t) => t.pid === p.pid);
    const empty: ProcessTrace = { pid: p.pid, page: new Uint32Array(0), write: new Uint8Array(0), gapNs: new Uint32Array(0), migrateAt: 0 };
    fs.writeFileSync(path.join(dir, `trace-${i}.bin`), encodeTrace(trace ?? empty), { mode: 0o600 });
  });
  fs.writeFileSync(path.join(dir, PROGRESS_FILE), Buffer.alloc(8 * input.image.processes.length), { mode: 0o600 });
  writePagesFile(input.image, dir);
}

/** Accesses replayed so far by each process (the runner updates progress.bin every 4096). */
export function readProgress(dir: string, processes: number): number {
  const buf = Buffer.alloc(8 * processes);
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, PROGRESS_FILE), 'r');
  } catch {
    return 0;
  }
  try {
    fs.readSync(fd, buf, 0, buf.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  let n = 0;
  for (let i = 0; i < processes; i++) n += Number(buf.readBigUInt64LE(8 * i));
  return n;
}
