import { CopyCause, CopyPriority, PageFlag } from '@restorelab/core';
import { attached, ScriptedRestore } from '../testing/scripted-restore';
import { tinyWorkload } from '@restorelab/core/testing';
import { criuLazy } from './criu-lazy';

const chunks = (run: ScriptedRestore) => run.submitted.map((c) => [c.page, c.count]);

describe('criu-lazy', () => {
  // VMA 0: pages 0..39; VMA 1: 40..4039 with zero pages 100 and 101.
  const w = tinyWorkload([{ pid: 1, vmas: [40, 4000], flags: (i) => (i === 100 || i === 101 ? 0 : PageFlag.Content) }]);
  const start = () => new ScriptedRestore(w, [attached(criuLazy)]).setUp();

  it('waits for the workload, then pushes the lowest lazy range in chunks growing by 64 KiB', () => {
    const run = start();
    expect(run.submitted).toEqual([]);
    run.startWorkload();
    expect(run.submitted).toEqual([{ pid: 1, page: 0, count: 16, cause: CopyCause.Background, priority: CopyPriority.Background }]);
    for (let i = 0; i < 5; i++) run.serve(1);
    // 32 pages would cross the VMA end at 40; zero pages 100-101 are not pushed.
    expect(chunks(run)).toEqual([
      [0, 16],
      [16, 24],
      [40, 48],
      [88, 12],
      [102, 80],
      [182, 96],
    ]);
  });

  it('issues one chunk at a time, the next when the copier has answered for all of it', () => {
    const run = start().startWorkload();
    run.fault(1, 2000);
    expect(run.submitted).toHaveLength(1);
    run.fault(1, 5); // the chunk's page 5 is copied by the fault: the copier answers EEXIST for it
    run.serve(1);
    expect(chunks(run)).toEqual([
      [0, 16],
      [16, 16],
    ]);
  });

  it('resets the chunk to 64 KiB on every fault', () => {
    const run = start().startWorkload();
    run.serve(1);
    run.serve(1); // chunks 16, 24 (VMA end), now 48 in flight
    run.fault(1, 3000);
    run.serve(1);
    expect(chunks(run).slice(-2)).toEqual([
      [40, 48],
      [88, 12],
    ]);
    run.serve(1);
    expect(chunks(run).slice(-1)).toEqual([[102, 32]]);
  });

  it('caps chunks at 4 MiB and restores every content page', () => {
    const big = tinyWorkload([{ pid: 1, vmas: [40000] }]);
    const run = new ScriptedRestore(big, [attached(criuLazy)]).setUp().startWorkload();
    while (run.serve() > 0);
    const sizes = run.submitted.map((c) => c.count);
    expect(sizes.slice(0, 4)).toEqual([16, 32, 48, 64]);
    expect(Math.max(...sizes)).toBe(1024);
    expect(sizes.filter((s) => s === 1024).length).toBeGreaterThan(2);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(40000);
    expect(run.session.state.lazyPageCount(1)).toBe(0);
  });

  it('leaves zero pages to UFFDIO_ZEROPAGE on fault', () => {
    const run = start().startWorkload();
    while (run.serve() > 0);
    expect(run.session.state.lazyRanges(1)).toEqual([{ pid: 1, page: 100, count: 2 }]);
    run.finish();
  });
});
