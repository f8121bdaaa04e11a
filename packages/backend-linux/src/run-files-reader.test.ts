import { twoProcessPlan } from './__fixtures__/two-process-plan';
import { encodePlan, encodeTrace } from './run-files';
import { decodePlan, decodeTrace } from './run-files-reader';

describe('run files read back (what the mock binding plays)', () => {
  const { workload, session } = twoProcessPlan();
  const buf = encodePlan({ image: workload.image, plan: session.plan, traces: workload.traces, windowFor: (pid, vma) => session.windowFor(pid, vma), flags: 2 });

  it('gives back the plan it was written from', () => {
    const p = decodePlan(buf);
    expect(p.flags).toBe(2);
    expect(p.procs.map((x) => [x.pid, x.parent, x.totalPages, x.accesses, x.vmas.length])).toEqual([
      [1, -1, 8, 3, 2],
      [2, 0, 8, 2, 2],
    ]);
    expect(p.procs[1].vmas[1]).toMatchObject({ firstPage: 4, pages: 4, windowForward: 7, windowBackward: 3 });
    expect(p.adviseBeforeFill).toEqual([{ proc: 1, vma: 0, advice: 2 }]);
    expect(p.adviseAfterRegister).toEqual([{ proc: 1, vma: 0, advice: 1 }]);
    expect(p.prefill).toEqual([{ proc: 0, source: 1, page: 1, count: 2 }]);
    expect(p.precopy).toEqual([{ proc: 1, source: 0, page: 3, count: 4 }]);
    expect([...p.procs[0].pageFlags]).toEqual([...workload.image.processes[0].pageFlags]);
  });

  it('gives back a trace', () => {
    const t = decodeTrace(encodeTrace(workload.traces[1]), 'trace-1.bin');
    expect([...t.page]).toEqual([7, 6]);
  });

  it('refuses every truncation of the plan with an error that names the file', () => {
    for (let n = 0; n < buf.length; n += 4) {
      expect(() => decodePlan(buf.subarray(0, n))).toThrow(/^plan\.bin: /);
    }
  });
});
