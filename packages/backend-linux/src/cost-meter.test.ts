import { CostMeter, measureCosts } from './cost-meter';
import { linuxSkipReason } from './testing/linux-availability';

const skip = linuxSkipReason();
if (skip) console.warn(`cost meter tests skipped: ${skip}`);
const linuxTest = skip ? test.skip : test;

// Measurements are not asserted (they depend on the machine); their shape and sanity are.
linuxTest('measureCosts reports the cost-model keys it measures', async () => {
  const c = await measureCosts({ pages: 1024, rounds: 1 });
  expect(Object.keys(c).sort()).toEqual([
    'cacheFillPageNs', 'continueCallNs', 'continuePageNs', 'copyCallNs', 'copyPageNs', 'cowPageNs', 'decisionEventNs', 'decisionLatencyNs', 'dirtyScanNs', 'dirtyScanPageNs', 'discardRunNs',
    'faultCopyPageNs', 'faultIdleNs', 'faultJumpNs', 'faultOverheadNs', 'faultWakeNs', 'hugePageCopyNs', 'linkPageNs', 'linkRequestNs', 'madviseNs', 'moveCallNs', 'movePageNs',
    'precopyCallNs', 'precopyDecisionNs', 'precopyPageNs', 'processCpus', 'ruleCallNs', 'sourceAccessNs', 'stagePageNs', 'touchPageNs', 'zeroPageNs',
  ]);
  // this kernel has every engine and WP_ASYNC, and jest's global setup lends the hugetlb pool its pages: none is null
  for (const v of Object.values(c)) {
    expect(Number.isInteger(v)).toBe(true);
    expect(v).toBeGreaterThanOrEqual(0);
  }
  expect(c.copyPageNs + c.copyCallNs).toBeGreaterThan(0);
  console.log(JSON.stringify(c));
});

linuxTest('a CostMeter counts its rounds and has no result before the first', async () => {
  const meter = CostMeter.open({ pages: 512 });
  try {
    expect(() => meter.result()).toThrow('no calibration round was measured');
    await meter.round();
    await meter.round();
    expect(meter.rounds).toBe(2);
    expect(meter.result().faultCopyPageNs).toBeGreaterThan(0);
  } finally {
    meter.close();
  }
});
