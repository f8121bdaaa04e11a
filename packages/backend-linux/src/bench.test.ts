import { benchOverhead } from './bench';
import { linuxSkipReason } from './testing/linux-availability';

const skip = linuxSkipReason();
if (skip) console.warn(`bench tests skipped: ${skip}`);
const linuxTest = skip ? test.skip : test;

// Measurements are not asserted (they depend on the machine); their shape and sanity are.
linuxTest('benchOverhead compares the backend with the reference handler on seq', async () => {
  const r = await benchOverhead({ pages: 2048, repeat: 1 });
  expect(r.workload).toMatch(/^seq:pages=2048,/);
  for (const k of ['referenceNsPerFault', 'backendNsPerFault', 'faultRatio', 'referenceCopyGBps', 'backendCopyGBps', 'copyRatio'] as const) {
    expect(Number.isFinite(r[k])).toBe(true);
    expect(r[k]).toBeGreaterThan(0);
  }
  expect(r.faultRatio).toBeCloseTo(r.backendNsPerFault / r.referenceNsPerFault, 1);
  console.log(JSON.stringify(r));
});
