import { tinyImage } from '../testing/tiny-workload';
import { checkFaultRules } from './check-fault-rules';

const proc = tinyImage([{ pid: 1, vmas: [4, 4] }]).processes[0];
const table = (offsets: number[], targets: number[]) => ({ offsets: Uint32Array.from(offsets), targets: Uint32Array.from(targets) });

describe('checkFaultRules', () => {
  it('accepts a stride and a table that fit the process, and fills in nulls', () => {
    const t = table([0, 1, 1, 1, 1, 1, 1, 1, 2], [5, 0]);
    expect(checkFaultRules(proc, { stride: { stride: -2, count: 3 }, successors: t })).toEqual({ stride: { stride: -2, count: 3 }, successors: t });
    expect(checkFaultRules(proc, {})).toEqual({ stride: null, successors: null });
  });

  it.each([
    [{ stride: { stride: 0, count: 1 } }, /stride must be a whole number of pages, not 0/],
    [{ stride: { stride: 1.5, count: 1 } }, /stride must be a whole number/],
    [{ stride: { stride: 8, count: 1 } }, /within the process/],
    [{ stride: { stride: 1, count: 65 } }, /count must be 1\.\.64/],
    [{ successors: table([0, 0], []) }, /needs 9 offsets, got 2/],
    [{ successors: table([0, 1, 1, 1, 1, 1, 1, 1, 1], []) }, /from 0 to the number of targets \(0\)/],
    [{ successors: table([0, 2, 1, 2, 2, 2, 2, 2, 2], [1, 2]) }, /offsets descend at page 1/],
    [{ successors: table([0, 1, 1, 1, 1, 1, 1, 1, 1], [8]) }, /target 8 is past the process's 8 pages/],
    [{ successors: { offsets: [0], targets: [] } as never }, /two Uint32Arrays/],
  ])('refuses %j', (rules, message) => {
    expect(() => checkFaultRules(proc, rules)).toThrow(message);
  });
});
