import { loadNative, unavailableReason } from '@restorelab/backend-linux';
import { defaultCostModel, parseCostModel } from '@restorelab/backend-sim';
import { parseLink } from '@restorelab/core';
import { createContainer } from '../container';
import { calibrate, ENGINE_KEYS, HUGETLB_KEYS, MEASURED_KEYS, PRECOPY_KEYS } from './calibrate';
import { fidelitySummary, renderFidelity } from '../commands/fidelity-command';
import { FidelityPair, measureFidelity } from './fidelity';

function linuxSkipReason(): string | undefined {
  const native = loadNative();
  if (!native.ok) return native.reason;
  const probe = native.binding.probe();
  return probe.available ? undefined : unavailableReason(probe);
}

const reason = linuxSkipReason();
if (reason) console.warn(`fidelity.test: Linux tests SKIPPED: ${reason}`);
const linuxIt = reason ? it.skip : it;

const fake = { faultOverheadNs: 5000.4, faultWakeNs: 9000, faultIdleNs: 500, faultJumpNs: 600, faultCopyPageNs: 2100, touchPageNs: 300, cowPageNs: 3000, decisionLatencyNs: 200000, decisionEventNs: 2000, processCpus: 1, copierSharesEventLoopCpu: 1, copierWakeNs: 6000, faultThreadSharesProcessCpu: 1, copyCallNs: 250, ruleCallNs: 2500, copyPageNs: 1200, zeroPageNs: 500, madviseNs: 600, linkRequestNs: 20000, linkPageNs: 1500, cacheFillPageNs: 1400, continueCallNs: 600, continuePageNs: 240, stagePageNs: null, moveCallNs: null, movePageNs: null, hugePageCopyNs: null,
  precopyCallNs: null, precopyPageNs: null, dirtyScanNs: null, dirtyScanPageNs: null, sourceAccessNs: null, precopyDecisionNs: null, discardRunNs: null, extra: 7 };

describe('calibrate', () => {
  it('writes the measured keys over the defaults, as a profile --cost-model reads', async () => {
    const profile = await calibrate(undefined, async () => fake);
    const model = parseCostModel(JSON.parse(JSON.stringify(profile)), 'profile');
    expect(model.faultOverheadNs).toBe(5000);
    expect(model.copyPageNs).toBe(1200);
    expect(model.decisionLatencyNs).toBeGreaterThan(0);
    // an engine this kernel cannot do keeps its defaults and is not said to be measured
    expect(profile._measured).toEqual([...MEASURED_KEYS, 'cacheFillPageNs', 'continueCallNs', 'continuePageNs']);
    expect(model.continuePageNs).toBe(240);
    expect(model.moveCallNs).toBe(defaultCostModel.moveCallNs);
    expect(Object.keys(profile)).not.toContain('extra');
  });

  it('takes hugePageCopyNs when the hugetlb pool had room for it, else keeps the default', async () => {
    expect((await calibrate(undefined, async () => fake)).hugePageCopyNs).toBe(defaultCostModel.hugePageCopyNs);
    const profile = await calibrate(undefined, async () => ({ ...fake, hugePageCopyNs: 351234.6 }));
    expect(profile.hugePageCopyNs).toBe(351235);
    expect(profile._measured).toContain('hugePageCopyNs');
  });

  it('takes the pre-copy keys when this kernel could do the rounds, else keeps the defaults', async () => {
    expect((await calibrate(undefined, async () => fake)).precopyPageNs).toBe(defaultCostModel.precopyPageNs);
    const rounds = { precopyCallNs: 700.2, precopyPageNs: 1900, dirtyScanNs: 15000, dirtyScanPageNs: 11, sourceAccessNs: 650, precopyDecisionNs: 280000, discardRunNs: 2100 };
    const profile = await calibrate(undefined, async () => ({ ...fake, ...rounds }));
    expect(profile.precopyCallNs).toBe(700);
    expect(profile.precopyDecisionNs).toBe(280000);
    expect(profile._measured).toEqual(expect.arrayContaining([...PRECOPY_KEYS]));
  });

  it('refuses a measurement that is not a number', async () => {
    await expect(calibrate(undefined, async () => ({ ...fake, copyCallNs: NaN }))).rejects.toThrow('measureCosts() returned copyCallNs = NaN');
  });

  linuxIt('measures this machine', async () => {
    const profile = await calibrate();
    for (const k of [...MEASURED_KEYS, ...ENGINE_KEYS, ...HUGETLB_KEYS, ...PRECOPY_KEYS]) expect(Number.isInteger(profile[k]) && profile[k] >= 0).toBe(true);
    expect(profile.copyPageNs).toBeGreaterThan(0);
    // this kernel (6.18) has MINOR_SHMEM and MOVE: every engine's steps are measured
    expect(profile._measured).toEqual(expect.arrayContaining([...ENGINE_KEYS, ...HUGETLB_KEYS, ...PRECOPY_KEYS]));
    expect(profile.cacheFillPageNs).toBeGreaterThan(0);
  });
});

describe('fidelity (simulator vs Linux)', () => {
  linuxIt('finds the same demand faults on both backends for deterministic strategies', async () => {
    const container = await createContainer();
    const seen: string[] = [];
    const pairs = await measureFidelity(container, {
      workloads: ['zipf:pages=512,accesses=2000', 'forktree:pages=256'],
      strategies: ['demand-only', 'neighbor-prefetch:window=4'],
      repetitions: 2,
      onProgress: (done, total, label) => seen.push(`${done}/${total} ${label}`),
    });
    // round by round: every pair once, then every pair again
    const labels = [
      'zipf:pages=512,accesses=2000 demand-only',
      'zipf:pages=512,accesses=2000 neighbor-prefetch:window=4',
      'forktree:pages=256 demand-only',
      'forktree:pages=256 neighbor-prefetch:window=4',
    ];
    expect(seen).toEqual([...labels, ...labels].map((l, i) => `${i + 1}/8 ${l}`));
    expect(pairs.map((p) => `${p.workload} ${p.strategy}`)).toEqual(labels);
    for (const p of pairs) {
      expect({ pair: `${p.workload} ${p.strategy}`, faultDifference: p.faultDifference, verified: [p.linux.verified, p.sim.verified] }).toEqual({
        pair: `${p.workload} ${p.strategy}`,
        faultDifference: 0,
        verified: [true, true],
      });
      expect(p.linux.demandFaults).toBeGreaterThan(0);
      expect(p.linux.stallNsRuns).toHaveLength(2);
      expect(p.linux.stallNs).toBe((p.linux.stallNsRuns[0] + p.linux.stallNsRuns[1]) / 2);
      expect(p.workloadError).toBeCloseTo((p.sim.workloadNs - p.linux.workloadNs) / p.linux.workloadNs, 9);
    }
  });
});

describe('fidelity over a link', () => {
  linuxIt('each pair locally and over a shaped link: the same demand faults, and each waits at least the round trip on both', async () => {
    const container = await createContainer();
    const link = parseLink('latency-us=100,bandwidth=1gbit');
    const pairs = await measureFidelity(container, {
      workloads: ['zipf:pages=512,accesses=2000'],
      strategies: ['demand-only', 'neighbor-prefetch:window=4'],
      links: [undefined, link, { ...link, channels: 1 }],
      repetitions: 1,
    });
    expect(pairs.map((p) => [p.strategy, p.link])).toEqual([
      ['demand-only', null],
      ['neighbor-prefetch:window=4', null],
      ['demand-only', 'latency-us=100,bandwidth=1gbit,channels=2'],
      ['neighbor-prefetch:window=4', 'latency-us=100,bandwidth=1gbit,channels=2'],
      ['demand-only', 'latency-us=100,bandwidth=1gbit,channels=1'],
      ['neighbor-prefetch:window=4', 'latency-us=100,bandwidth=1gbit,channels=1'],
    ]);
    for (const p of pairs) {
      expect([p.faultDifference, p.linux.verified, p.sim.verified]).toEqual([0, true, true]);
      expect(p.linux.demandFaults).toBe(pairs[p.strategy === 'demand-only' ? 0 : 1].linux.demandFaults);
      if (p.link) for (const b of [p.linux, p.sim]) expect(b.stallNs).toBeGreaterThanOrEqual(b.demandFaults * 200_000);
    }
  });
});

describe('fidelity with a calibration during the comparison', () => {
  linuxIt('measures a round before each round of Linux runs, then simulates with the model measured', async () => {
    const container = await createContainer();
    const calls: string[] = [];
    const slow = { ...defaultCostModel, faultOverheadNs: 1_000_000 };
    const pairs = await measureFidelity(container, {
      workloads: ['seq:pages=64'],
      strategies: ['demand-only', 'eager'],
      repetitions: 3,
      onProgress: (done) => calls.push(`run ${done}`),
      calibrator: {
        round: async () => void calls.push('round'),
        model: () => {
          calls.push('model');
          return slow;
        },
      },
    });
    expect(calls).toEqual(['round', 'run 1', 'run 2', 'round', 'run 3', 'run 4', 'round', 'run 5', 'run 6', 'model']);
    // the simulator ran with the model the calibrator gave: a millisecond a fault
    expect(pairs[0].sim.stallNs).toBeGreaterThanOrEqual(64 * 1_000_000);
    expect(pairs[1].sim.demandFaults).toBe(0);
  });
});

describe('the fidelity table', () => {
  const pair = (stallError: number | null, workloadError: number | null, faultDifference = 0): FidelityPair => ({
    workload: 'seq:pages=8',
    strategy: 'demand-only',
    link: null,
    deterministic: true,
    linux: { demandFaults: 8, stallNs: 40000, workloadNs: 100000, verified: true, stallNsRuns: [30000, 40000, 90000] },
    sim: { demandFaults: 8 + faultDifference, stallNs: 40000 * (1 + (stallError ?? 0)), workloadNs: 100000, verified: true },
    faultDifference,
    faultError: faultDifference / 8,
    stallError,
    workloadError,
    ok: faultDifference === 0 && stallError !== null && Math.abs(stallError) <= 0.15,
  });

  it('shows the spread of the Linux runs and the workload error', () => {
    const text = renderFidelity([pair(0.1, -0.25)]);
    expect(text).toMatch(/linux runs min-max ms/);
    expect(text).toMatch(/\+10\.0% +0\.030-0\.090 +-25\.0%/);
  });

  it('judges a reactive pair by its relative fault error, and sums those errors up apart', () => {
    const reactive = (faults: number): FidelityPair => {
      const p = pair(0.05, 0);
      return { ...p, strategy: 'leap-trend', deterministic: false, sim: { ...p.sim, demandFaults: faults }, faultDifference: faults - 8, faultError: (faults - 8) / 8 };
    };
    const text = renderFidelity([reactive(9)]);
    expect(text).toMatch(/leap-trend +8 +9 +1 +\+12\.5%/);
    expect(fidelitySummary([pair(0.1, -0.25), reactive(9), reactive(10)])).toBe(
      '3/3 pairs ok; demand faults differ in 0; reactive |fault error| median 18.8%, worst 25.0%; |stall error| median 5.0%, worst 10.0%; |workload error| median 0.0%, worst 25.0%',
    );
  });

  it('sums up in one line: ok pairs, fault differences, median and worst errors', () => {
    expect(fidelitySummary([pair(0.1, -0.25), pair(-0.3, 0.05), pair(0.02, null, 1)])).toBe(
      '1/3 pairs ok; demand faults differ in 1; |stall error| median 10.0%, worst 30.0%; |workload error| median 15.0%, worst 25.0%',
    );
  });
});
