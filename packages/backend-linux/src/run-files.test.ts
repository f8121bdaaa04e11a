import { EventStore, RestoreSession } from '@restorelab/core';
import { tinyWorkload } from '@restorelab/core/testing';
import { twoProcessPlan } from './__fixtures__/two-process-plan';
import { encodePlan, encodeTrace, RUNNER_UFFD_FEATURES } from './run-files';

/** Reads back what native/common/plan-format.h says is there. */
function readPlan(buf: Buffer) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => Number(dv.getBigUint64(o, true));
  return {
    magic: u32(0),
    version: u32(4),
    pageSize: u32(8),
    nprocs: u32(12),
    nvmas: u32(16),
    features: u64(24),
    counts: [u32(40), u32(44), u32(48), u32(52)],
    offsets: [56, 64, 72, 80, 88, 96, 104].map(u64),
    fileBytes: u64(112),
    runnerCpuMask: u64(120),
    dv,
  };
}

describe('run files', () => {
  const { workload, session } = twoProcessPlan();
  const plan = encodePlan({
    image: workload.image,
    plan: session.plan,
    traces: workload.traces,
    windowFor: (p, v) => session.windowFor(p, v),
    runnerCpuMask: 0b1010,
  });

  test('plan.bin has the header, processes, VMAs, flags and steps where the C side looks', () => {
    const h = readPlan(plan);
    expect(h.magic).toBe(0x4e4c5052);
    expect(h.version).toBe(3);
    expect(h.pageSize).toBe(4096);
    expect(h.nprocs).toBe(2);
    expect(h.nvmas).toBe(4);
    expect(h.features).toBe(RUNNER_UFFD_FEATURES);
    expect(h.counts).toEqual([1, 1, 1, 1]);
    expect(h.fileBytes).toBe(plan.length);
    expect(h.runnerCpuMask).toBe(0b1010);
    expect(h.offsets[0]).toBe(128);
    const [procsOff, vmasOff, flagsOff, beforeOff, prefillOff, afterOff, precopyOff] = h.offsets;
    const dv = h.dv;
    // process 1: the child, parent index 0, its VMAs from index 2, 3 restore-phase accesses... of its own
    expect(dv.getInt32(procsOff + 48, true)).toBe(2);
    expect(dv.getInt32(procsOff + 48 + 4, true)).toBe(0);
    expect(dv.getUint32(procsOff + 48 + 8, true)).toBe(2);
    expect(Number(dv.getBigUint64(procsOff + 48 + 24, true))).toBe(8 * 4096);
    expect(Number(dv.getBigUint64(procsOff + 48 + 40, true))).toBe(2);
    // the child's second VMA carries the window
    const v = vmasOff + 3 * 40;
    expect(Number(dv.getBigUint64(v + 16, true))).toBe(4);
    expect([dv.getUint32(v + 32, true), dv.getUint32(v + 36, true)]).toEqual([7, 3]);
    expect([dv.getUint32(vmasOff + 32, true), dv.getUint32(vmasOff + 36, true)]).toEqual([0, 0]);
    expect(plan[flagsOff]).toBe(1);
    // steps name processes by index
    expect([dv.getUint32(beforeOff, true), dv.getUint32(beforeOff + 8, true)]).toEqual([1, 2]);
    expect([dv.getUint32(afterOff, true), dv.getUint32(afterOff + 8, true)]).toEqual([1, 1]);
    expect([dv.getUint32(prefillOff, true), dv.getUint32(prefillOff + 4, true), Number(dv.getBigUint64(prefillOff + 8, true))]).toEqual([0, 1, 1]);
    expect([dv.getUint32(precopyOff, true), Number(dv.getBigUint64(precopyOff + 8, true)), Number(dv.getBigUint64(precopyOff + 16, true))]).toEqual([
      1, 3, 4,
    ]);
  });

  test('a trace file holds the restore phase only', () => {
    const buf = encodeTrace(workload.traces[1]);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    expect(Number(dv.getBigUint64(8, true))).toBe(2);
    const pageOff = Number(dv.getBigUint64(16, true));
    expect([dv.getUint32(pageOff, true), dv.getUint32(pageOff + 4, true)]).toEqual([7, 6]);
    const gapOff = Number(dv.getBigUint64(24, true));
    expect(dv.getUint32(gapOff, true)).toBe(100);
    expect(buf.length).toBe(40 + 2 * 4 + 2 * 4 + 2);
  });

  test('refuses a child listed before its parent (an image no session would accept)', () => {
    const w = tinyWorkload([
      { pid: 1, vmas: [1] },
      { pid: 2, parent: 1, vmas: [1] },
    ]);
    const s = new RestoreSession(w, [], new EventStore());
    const swapped = { ...w.image, processes: [w.image.processes[1], w.image.processes[0]], readPage: w.image.readPage.bind(w.image) };
    expect(() => encodePlan({ image: swapped, plan: s.plan, traces: w.traces, windowFor: () => ({ forward: 0, backward: 0 }) })).toThrow(
      /must come before it/,
    );
  });
});
