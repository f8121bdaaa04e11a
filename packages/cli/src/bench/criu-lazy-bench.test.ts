import { formatBenchCriuLazy } from '../commands/bench-command';
import { criuLogPresentMs, CRIU_REFERENCE, firstScanMs } from './criu-lazy-bench';

describe('bench criu-lazy-pages readers', () => {
  it('CRIU\'s present time is its first to last Read line, other lines ignored', () => {
    const log = [
      '(00.036348) Reading image tree',
      '(00.562436) pr12041-1 Read 7f0e49199000 1 pages',
      '(00.563143) pr12041-1 Read 7f0e39040000 80 pages',
      '(00.700000) pr12041-1 UFFD transferred pages: (65536/65536)',
      '(00.667008) pr12041-1 Read 7f0e3c864000 1 pages',
    ].join('\n');
    expect(criuLogPresentMs(log)).toBeCloseTo(104.572, 3);
    expect(() => criuLogPresentMs('(00.1) Reading image tree\n')).toThrow(/logged no page it read/);
  });

  it('the first scan is the restored program\'s restored-scan line; a mismatch is an error', () => {
    expect(firstScanMs('main restored-scan 41250000\nmain ok 3\n')).toBe(41.25);
    expect(firstScanMs('main scan 22000000\n')).toBeUndefined();
    expect(() => firstScanMs('mismatch page 4 word 0: 0000000000000000\n')).toThrow(/found a wrong word: mismatch page 4/);
  });

  it('the table: one row per daemon, speed-up against CRIU\'s, first scan against the warm scan', () => {
    const text = formatBenchCriuLazy({
      mib: 256,
      program: 'check',
      warmMs: [20, 22, 24],
      rows: [
        { daemon: CRIU_REFERENCE, presentMs: [150, 140, 160], firstScanMs: [160, 150, 170] },
        { daemon: 'eager', presentMs: [70, 75, 80], firstScanMs: [40, 44, 48] },
      ],
    });
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^warm scan before the dump: median 22\.0 ms of 3;/);
    expect(lines[3].split(/\s{2,}/)).toEqual([CRIU_REFERENCE, '3', '150.0', '140.0-160.0', '1.00x', '160.0', '150.0-170.0', '7.27x']);
    expect(lines[4].split(/\s{2,}/)).toEqual(['eager', '3', '75.0', '70.0-80.0', '2.00x', '44.0', '40.0-48.0', '2.00x']);
  });
});
