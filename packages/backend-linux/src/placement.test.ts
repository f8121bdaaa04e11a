import { allowedCpus, copierSharesEventLoopCpu, faultThreadSharesProcessCpu, parseCpuList, parsePlacement, planCpus, processCpuCount } from './placement';

describe('placement', () => {
  test('parses kernel CPU lists', () => {
    expect(parseCpuList('0-1')).toEqual([0, 1]);
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('5')).toEqual([5]);
    expect(() => parseCpuList('0-a')).toThrow("not a CPU list: '0-a'");
  });

  test('shared: the fault thread and the processes on the last CPU, the copier on the others', () => {
    expect(planCpus('shared', [0, 1])).toEqual({
      placement: 'shared',
      faultCpuMask: 2,
      copierCpuMask: 1,
      runnerCpuMask: 2,
      eventLoopCpuMask: 1,
      description: 'shared: fault thread and processes on CPU 1, copier and event loop on CPU 0',
    });
    expect(planCpus('shared', [3])).toMatchObject({ faultCpuMask: 8, copierCpuMask: 8, runnerCpuMask: 8 });
  });

  test('spread: the fault thread on the first CPU, everything else on the others', () => {
    expect(planCpus('spread', [2, 4, 5])).toEqual({
      placement: 'spread',
      faultCpuMask: 4,
      copierCpuMask: 48,
      runnerCpuMask: 48,
      eventLoopCpuMask: 4,
      description: 'spread: fault thread and event loop on CPU 2, processes and copier on CPUs 4,5',
    });
  });

  test('pins nothing when asked not to, or when it cannot', () => {
    expect(planCpus('none', [0, 1])).toMatchObject({ faultCpuMask: 0, copierCpuMask: 0, runnerCpuMask: 0, eventLoopCpuMask: 0 });
    expect(planCpus('shared', null).description).toBe('shared: not pinned (the allowed CPUs are unknown)');
    expect(planCpus('shared', [60, 61]).description).toBe('shared: not pinned (no allowed CPU below 53)');
    expect(planCpus('shared', [1, 60]).faultCpuMask).toBe(2);
  });

  test('names the placements in its error', () => {
    expect(parsePlacement('spread')).toBe('spread');
    expect(() => parsePlacement('pinned')).toThrow("unknown placement 'pinned' (known: shared, spread, none)");
  });

  test('reads the CPUs this process may use', () => {
    const cpus = allowedCpus();
    if (process.platform === 'linux') expect(cpus!.length).toBeGreaterThan(0);
  });

  test('says when the copier and the event loop are pinned to one CPU', () => {
    expect(copierSharesEventLoopCpu('shared', [0, 1])).toBe(true);
    expect(copierSharesEventLoopCpu('shared', [3])).toBe(true);
    expect(copierSharesEventLoopCpu('shared', [0, 1, 2])).toBe(false);
    expect(copierSharesEventLoopCpu('spread', [0, 1])).toBe(false);
    expect(copierSharesEventLoopCpu('none', [0, 1])).toBe(false);
    expect(copierSharesEventLoopCpu('shared', null)).toBe(false);
    // masks past bit 31: counted as doubles
    expect(copierSharesEventLoopCpu('shared', [40, 41])).toBe(true);
    expect(copierSharesEventLoopCpu('shared', [40, 41, 42])).toBe(false);
  });

  test('says when the fault thread and the restored processes are pinned to one CPU', () => {
    expect(faultThreadSharesProcessCpu('shared', [0, 1])).toBe(true);
    expect(faultThreadSharesProcessCpu('shared', [0, 1, 2, 3])).toBe(true);
    expect(faultThreadSharesProcessCpu('spread', [0, 1])).toBe(false);
    expect(faultThreadSharesProcessCpu('spread', [3])).toBe(true);
    expect(faultThreadSharesProcessCpu('none', [0, 1])).toBe(false);
    expect(faultThreadSharesProcessCpu('shared', null)).toBe(false);
  });

  test('counts the CPUs the restored processes share', () => {
    expect(processCpuCount('shared', [0, 1, 2, 3])).toBe(1);
    expect(processCpuCount('spread', [0, 1, 2, 3])).toBe(3);
    expect(processCpuCount('none', [0, 1, 2, 3])).toBe(4);
    expect(processCpuCount('shared', null)).toBe(0);
  });
});
