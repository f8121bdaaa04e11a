import * as fs from 'fs';
import * as path from 'path';
import {
  checkFreeDisk,
  contentPages,
  CopyEngine,
  FaultWindowRule,
  FileImage,
  GeneratedImage,
  GeneratedPagesWriter,
  Image,
  PagesCache,
  PrefillSource,
  ProcessTrace,
  RestorePlan,
  ThpAdviceCode,
  writePagesBlob,
} from '@restorelab/core';

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

/** Byte offsets of the fields of each struct, named as in plan-format.h (checked against offsetof). */
export const PLAN_HEADER = {
  magic: 0, version: 4, page_size: 8, nprocs: 12, nvmas: 16, flags: 20, uffd_features: 24, blob_bytes: 32,
  n_advise_before: 40, n_prefill: 44, n_advise_after: 48, n_precopy: 52, procs_off: 56, vmas_off: 64,
  page_flags_off: 72, advise_before_off: 80, prefill_off: 88, advise_after_off: 96, precopy_off: 104,
  file_bytes: 112, runner_cpu_mask: 120,
} as const;
export const PLAN_PROC = { pid: 0, parent: 4, first_vma: 8, nvmas: 12, total_pages: 16, blob_offset: 24, page_flags_pos: 32, accesses: 40 } as const;
export const PLAN_VMA = { start: 0, pages: 8, first_page: 16, writable: 24, shared: 25, anon: 26, thp: 27, collapse: 28, hugetlb: 29, window_forward: 32, window_backward: 36 } as const;
export const PLAN_ADVICE = { proc: 0, vma: 4, advice: 8 } as const;
export const PLAN_RANGE = { proc: 0, source: 4, page: 8, count: 16 } as const;
export const TRACE_HEADER = { magic: 0, version: 4, accesses: 8, page_off: 16, gap_off: 24, write_off: 32 } as const;

export const PLAN_FILE = 'plan.bin';
export const PAGES_FILE = 'pages.bin';
export const SOCKET_FILE = 'monitor.sock';
export const PROGRESS_FILE = 'progress.bin';
/** Pre-copy rounds (plan-format.h, "Pre-copy rounds"): the source's socket, its source phase, the destination's VMA addresses. */
export const PRECOPY_SOCKET_FILE = 'precopy.sock';
export const SOURCE_TRACE_FILE = 'source-trace.bin';
export const DEST_VMAS_FILE = 'dest-vmas.bin';

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
  /** Copy engine continue: memfd-backed VMAs registered MISSING|MINOR, pages placed with UFFDIO_CONTINUE. */
  EngineContinue: 8,
  /** Copy engine move: pages written to a staging area and placed with UFFDIO_MOVE. */
  EngineMove: 16,
  /** Pre-copy rounds from a live source (runner --precopy-source) between prefill and registration. */
  PrecopyRounds: 32,
} as const;

/** UFFD_FEATURE_* bits the runner asks for: thread ids in faults and the non-cooperative events. */
export const RUNNER_UFFD_FEATURES = (1 << 8) | (1 << 2) | (1 << 3) | (1 << 6);
/** What an image with hugetlb VMAs adds: MISSING_HUGETLBFS, and EXACT_ADDRESS (a fault names its 4 KiB page, not its huge page's first). */
export const HUGETLB_UFFD_FEATURES = (1 << 4) | (1 << 11);

/** What each copy engine adds to the plan: its flag and the UFFD_FEATURE_* bit it needs (MINOR_SHMEM, MOVE). */
export const ENGINE_PLAN: Readonly<Record<CopyEngine, { readonly flag: number; readonly uffdFeature: number }>> = {
  copy: { flag: 0, uffdFeature: 0 },
  continue: { flag: PlanFlag.EngineContinue, uffdFeature: 1 << 10 },
  move: { flag: PlanFlag.EngineMove, uffdFeature: 1 << 16 },
};

const PrefillSourceCode = { image: PrefillSource.Image, strategy: PrefillSource.Strategy } as const;

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

  const h = PLAN_HEADER;
  u32(h.magic, PLAN_MAGIC);
  u32(h.version, FORMAT_VERSION);
  u32(h.page_size, image.pageSize);
  u32(h.nprocs, procs.length);
  u32(h.nvmas, nvmas);
  u32(h.flags, input.flags ?? 0);
  u64(h.uffd_features, input.uffdFeatures ?? RUNNER_UFFD_FEATURES);
  u64(h.blob_bytes, image.blobBytes);
  u32(h.n_advise_before, plan.adviseBeforeFill.length);
  u32(h.n_prefill, plan.prefill.length);
  u32(h.n_advise_after, plan.adviseAfterRegister.length);
  u32(h.n_precopy, plan.precopy.length);
  u64(h.procs_off, procsOff);
  u64(h.vmas_off, vmasOff);
  u64(h.page_flags_off, flagsOff);
  u64(h.advise_before_off, adviseBeforeOff);
  u64(h.prefill_off, prefillOff);
  u64(h.advise_after_off, adviseAfterOff);
  u64(h.precopy_off, precopyOff);
  u64(h.file_bytes, total);
  u64(h.runner_cpu_mask, input.runnerCpuMask ?? 0);

  let vmaAt = 0;
  let flagAt = 0;
  procs.forEach((p, i) => {
    const parent = p.parent === null ? -1 : idx(p.parent);
    if (parent >= i) throw new Error(`pid ${p.pid}: its parent ${p.parent} must come before it in the image`);
    const trace = input.traces.find((t) => t.pid === p.pid);
    const o = procsOff + i * PROC_BYTES;
    const f = PLAN_PROC;
    i32(o + f.pid, p.pid);
    i32(o + f.parent, parent);
    u32(o + f.first_vma, vmaAt);
    u32(o + f.nvmas, p.vmas.length);
    u64(o + f.total_pages, p.totalPages);
    u64(o + f.blob_offset, p.blobOffset);
    u64(o + f.page_flags_pos, flagAt);
    u64(o + f.accesses, trace ? trace.page.length - Math.min(trace.migrateAt, trace.page.length) : 0);
    for (const v of p.vmas) {
      const w = input.windowFor(p.pid, v.index);
      const vo = vmasOff + vmaAt * VMA_BYTES;
      const g = PLAN_VMA;
      u64(vo + g.start, v.start);
      u64(vo + g.pages, v.pages);
      u64(vo + g.first_page, v.firstPage);
      dv.setUint8(vo + g.writable, v.prot === 'rw' ? 1 : 0);
      dv.setUint8(vo + g.shared, v.shared ? 1 : 0);
      dv.setUint8(vo + g.anon, v.anon ? 1 : 0);
      dv.setUint8(vo + g.thp, ThpAdviceCode[v.thp]);
      dv.setUint8(vo + g.collapse, v.collapseBeforeRegister ? 1 : 0);
      dv.setUint8(vo + g.hugetlb, v.hugetlb ? 1 : 0);
      u32(vo + g.window_forward, w.forward);
      u32(vo + g.window_backward, w.backward);
      vmaAt++;
    }
    buf.set(p.pageFlags, flagsOff + flagAt);
    flagAt += p.totalPages;
  });
  const advice = (off: number, steps: RestorePlan['adviseBeforeFill']) =>
    steps.forEach((s, k) => {
      const o = off + k * ADVICE_BYTES;
      u32(o + PLAN_ADVICE.proc, idx(s.pid));
      u32(o + PLAN_ADVICE.vma, s.vma);
      u32(o + PLAN_ADVICE.advice, ThpAdviceCode[s.advice]);
    });
  advice(adviseBeforeOff, plan.adviseBeforeFill);
  advice(adviseAfterOff, plan.adviseAfterRegister);
  plan.prefill.forEach((r, k) => {
    const o = prefillOff + k * RANGE_BYTES;
    u32(o + PLAN_RANGE.proc, idx(r.pid));
    u32(o + PLAN_RANGE.source, PrefillSourceCode[r.source]);
    u64(o + PLAN_RANGE.page, r.page);
    u64(o + PLAN_RANGE.count, r.count);
  });
  plan.precopy.forEach((r, k) => {
    const o = precopyOff + k * RANGE_BYTES;
    u32(o + PLAN_RANGE.proc, idx(r.pid));
    u64(o + PLAN_RANGE.page, r.page);
    u64(o + PLAN_RANGE.count, r.count);
  });
  return buf;
}

/** The restore phase of a trace ([migrateAt, end)), as trace-<i>.bin; `source`: its source phase ([0, migrateAt)). */
export function encodeTrace(trace: ProcessTrace, phase: 'restore' | 'source' = 'restore'): Buffer {
  const marker = Math.min(trace.migrateAt, trace.page.length);
  const from = phase === 'restore' ? marker : 0;
  const to = phase === 'restore' ? trace.page.length : marker;
  const n = to - from;
  const pageOff = TRACE_HEADER_BYTES;
  const gapOff = pageOff + 4 * n;
  const writeOff = gapOff + 4 * n;
  const buf = Buffer.alloc(writeOff + n);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const h = TRACE_HEADER;
  dv.setUint32(h.magic, TRACE_MAGIC, true);
  dv.setUint32(h.version, FORMAT_VERSION, true);
  dv.setBigUint64(h.accesses, BigInt(n), true);
  dv.setBigUint64(h.page_off, BigInt(pageOff), true);
  dv.setBigUint64(h.gap_off, BigInt(gapOff), true);
  dv.setBigUint64(h.write_off, BigInt(writeOff), true);
  const bytes = (a: Uint32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  buf.set(bytes(trace.page.subarray(from, to)), pageOff);
  buf.set(bytes(trace.gapNs.subarray(from, to)), gapOff);
  buf.set(bytes(trace.write.subarray(from, to)), writeOff);
  return buf;
}

/** Where a run's pages file came from. */
export type PagesFileSource = 'the image on disk' | 'the cache' | 'generated into the cache' | 'generated into the run directory';

/**
 * dir/pages.bin: a link to the image's own blob when it was read from disk, or to the cache's blob
 * of a generated image (a hard link where it can be, so evicting the entry cannot pull it from
 * under the run), else written here; zero pages are holes of a sparse file. A scratch file of the
 * run: no manifest, checksum or fsync.
 */
export function writePagesFile(image: Image, dir: string, cache: PagesCache | null = null, writeGenerated?: GeneratedPagesWriter): PagesFileSource {
  const target = path.join(dir, PAGES_FILE);
  if (image instanceof FileImage) {
    fs.symlinkSync(path.resolve(image.blobPath), target);
    return 'the image on disk';
  }
  if (cache && image instanceof GeneratedImage) {
    const writes = cache.stats.writes;
    const entry = cache.pagesFileFor(image);
    try {
      fs.linkSync(entry, target);
    } catch {
      fs.symlinkSync(entry, target);
    }
    return cache.stats.writes > writes ? 'generated into the cache' : 'the cache';
  }
  checkFreeDisk(dir, contentPages(image) * image.pageSize, `the pages file of image ${image.name}`);
  const fd = fs.openSync(target, 'w', 0o600);
  try {
    if (writeGenerated && image instanceof GeneratedImage) writeGenerated(image, fd);
    else writePagesBlob(image, fd);
  } finally {
    fs.closeSync(fd);
  }
  return 'generated into the run directory';
}

export function writeRunFiles(dir: string, input: PlanInput, cache: PagesCache | null = null, writeGenerated?: GeneratedPagesWriter): PagesFileSource {
  fs.writeFileSync(path.join(dir, PLAN_FILE), encodePlan(input), { mode: 0o600 });
  input.image.processes.forEach((p, i) => {
    const trace = input.traces.find((t) => t.pid === p.pid);
    const empty: ProcessTrace = { pid: p.pid, page: new Uint32Array(0), write: new Uint8Array(0), gapNs: new Uint32Array(0), migrateAt: 0 };
    fs.writeFileSync(path.join(dir, `trace-${i}.bin`), encodeTrace(trace ?? empty), { mode: 0o600 });
    if (i === 0 && (input.flags ?? 0) & PlanFlag.PrecopyRounds) fs.writeFileSync(path.join(dir, SOURCE_TRACE_FILE), encodeTrace(trace ?? empty, 'source'), { mode: 0o600 });
  });
  fs.writeFileSync(path.join(dir, PROGRESS_FILE), Buffer.alloc(8 * input.image.processes.length), { mode: 0o600 });
  return writePagesFile(input.image, dir, cache, writeGenerated);
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
