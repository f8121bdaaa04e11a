import { CopyCause } from '@restorelab/core';
import { attached, ScriptedRestore } from '../testing/scripted-restore';
import { tinyWorkload } from '@restorelab/core/testing';
import { qemuPostcopy } from './qemu-postcopy';

const chunks = (run: ScriptedRestore) => run.submitted.map((c) => [c.page, c.count]);

describe('qemu-postcopy', () => {
  const w = tinyWorkload([{ pid: 1, vmas: [100, 1000] }]);

  it('streams in address order, one chunk at a time, split at VMA ends', () => {
    const run = new ScriptedRestore(w, [attached(qemuPostcopy)]).setUp().startWorkload();
    run.serve(1);
    run.serve(1);
    expect(chunks(run)).toEqual([
      [0, 64],
      [64, 36],
      [100, 64],
    ]);
    expect(run.submitted.every((c) => c.cause === CopyCause.Background)).toBe(true);
  });

  it('continues from the page after the faulting one, then wraps to the lowest lazy page', () => {
    const run = new ScriptedRestore(w, [attached(qemuPostcopy, { chunk: 32 })]).setUp().startWorkload();
    run.fault(1, 700);
    run.serve(1);
    expect(chunks(run)).toEqual([
      [0, 32],
      [701, 32],
    ]);
    run.fault(1, 1099);
    run.serve(1);
    expect(chunks(run).slice(-1)).toEqual([[32, 32]]);
    while (run.serve() > 0);
    expect(run.session.state.lazyPageCount(1)).toBe(0);
    run.finish();
  });
});
