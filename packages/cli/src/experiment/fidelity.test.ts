import { loadNative, unavailableReason } from '@restorelab/backend-linux';
import { parseCostModel } from '@restorelab/backend-sim';
import { createContainer } from '../container';
import { calibrate, MEASURED_KEYS } from './calibrate';
import { measureFidelity } from './fidelity';

function linuxSkipReason(): string | undefined {
  const native = loadNative();
  if (!native.ok) return native.reason;
  const probe = native.binding.probe();
  return probe.available ? undefined : unavailableReason(probe);
}

const reason = linuxSkipReason();
if (reason) console.warn(`fidelity.test: Linux tests SKIPPED: ${reason}`);
const linuxIt = reason ? it.skip : it;

const fake = { faultOverheadNs: 5000.4, copyCallNs: 250, copyPageNs: 1200, zeroPageNs: 500, madviseNs: 600, extra: 7 };

describe('calibrate', () => {
  it('writes the measured keys over the defaults, as a profile --cost-model reads', async () => {
    const profile = await calibrate(undefined, async () => fake);
    const model = parseCostModel(JSON.parse(JSON.stringify(profile)), 'profile');
    expect(model.faultOverheadNs).toBe(5000);
    expect(model.copyPageNs).toBe(1200);
    expect(model.decisionLatencyNs).toBeGreaterThan(0);
    expect(profile._measured).toEqual([...MEASURED_KEYS]);
    expect(Object.keys(profile)).not.toContain('extra');
  });

  it('refuses a measurement that is not a number', async () => {
    await expect(calibrate(undefined, async () => ({ ...fake, copyCallNs: NaN }))).rejects.toThrow('measureCosts() returned copyCallNs = NaN');
  });

  linuxIt('measures this machine', async () => {
    const profile = await calibrate();
    for (const k of MEASURED_KEYS) expect(Number.isInteger(profile[k]) && profile[k] >= 0).toBe(true);
    expect(profile.copyPageNs).toBeGreaterThan(0);
  });
});

describe('fidelity (simulator vs Linux)', () => {
  linuxIt('finds the same demand faults on both backends for deterministic strategies', async () => {
    const container = await createContainer();
    const seen: string[] = [];
    const pairs = await measureFidelity(container, {
      workloads: ['zipf:pages=512,accesses=2000', 'forktree:pages=256'],
      strategies: ['demand-only', 'neighbor-prefetch:window=4'],
      repetitions: 1,
      onPair: (p, i, n) => seen.push(`${i + 1}/${n} ${p.workload} ${p.strategy}`),
    });
    expect(seen).toEqual([
      '1/4 zipf:pages=512,accesses=2000 demand-only',
      '2/4 zipf:pages=512,accesses=2000 neighbor-prefetch:window=4',
      '3/4 forktree:pages=256 demand-only',
      '4/4 forktree:pages=256 neighbor-prefetch:window=4',
    ]);
    for (const p of pairs) {
      expect({ pair: `${p.workload} ${p.strategy}`, faultDifference: p.faultDifference, verified: [p.linux.verified, p.sim.verified] }).toEqual({
        pair: `${p.workload} ${p.strategy}`,
        faultDifference: 0,
        verified: [true, true],
      });
      expect(p.linux.demandFaults).toBeGreaterThan(0);
    }
  });
});
