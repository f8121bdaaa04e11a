import { SimBackend } from '@restorelab/backend-sim';
import { LinuxBackend } from '../linux-backend';
import { linuxSkipReason } from '../testing/linux-availability';
import { comparable, contractCases, runCase, RunSummary } from './backend-contract';

/**
 * One suite for every backend: the simulator always, the linux backend where userfaultfd is
 * permitted. Each deterministic case must give the same demand faults and the same copied pages.
 */
const skip = linuxSkipReason();
if (skip) console.warn(`backend contract: linux half skipped: ${skip}`);
const linuxTest = skip ? test.skip : test;

describe.each(contractCases)('$strategy on $workload', (c) => {
  const runs: { sim?: RunSummary; linux?: RunSummary } = {};

  const checkExpectations = (s: RunSummary) => {
    const m = s.result.metrics;
    expect(s.result.verified).toBe(c.expect.verified);
    if (c.expect.demandFaults !== undefined) expect(m.demandFaults).toBe(c.expect.demandFaults);
    if (c.expect.mismatches) expect(m.mismatchedPages).toBeGreaterThan(0);
    else expect(m.mismatchedPages).toBe(0);
    expect(m.strategyFailures).toBe(0);
  };

  test('sim honours the contract', async () => {
    runs.sim = await runCase(new SimBackend(), c);
    checkExpectations(runs.sim);
  });

  linuxTest('linux honours the contract and agrees with sim', async () => {
    runs.linux = await runCase(new LinuxBackend(), c);
    checkExpectations(runs.linux);
    runs.sim ??= await runCase(new SimBackend(), c);
    expect(comparable(runs.linux)).toEqual(comparable(runs.sim));
  });
});
