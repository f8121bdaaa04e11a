import { RestoreBackend } from '../backend/restore-backend';
import { StrategyRegistry } from '../strategy/strategy-registry';
import { comparableSummary, ContractCase, contractCases, runContractCase, RunSummary } from './backend-contract';

export interface BackendContractOptions {
  /** How the backend is named in the test titles, e.g. `linux` or `linux (mock binding)`. */
  readonly name: string;
  /** A fresh backend for each case. */
  readonly backend: () => RestoreBackend;
  /** Resolves the cases' strategy stacks (the built-in strategies, or a registry holding them). */
  readonly strategies: StrategyRegistry;
  /** A backend this one must agree with, case by case (counts and page sets, never timings). */
  readonly reference?: { readonly name: string; readonly backend: () => RestoreBackend };
  /** Why the backend cannot run here: every case is skipped and the reason printed once. */
  readonly skipReason?: string;
  readonly cases?: readonly ContractCase[];
}

/**
 * The backend contract as a jest suite, for any backend (a third party's included): each
 * deterministic case must verify as expected and, with a reference, give the reference's demand
 * faults and copy the same pages with the same causes.
 */
export function describeBackendContract(o: BackendContractOptions): void {
  if (o.skipReason) console.warn(`backend contract for ${o.name} skipped: ${o.skipReason}`);
  const run = o.skipReason ? test.skip : test;
  const references = new Map<ContractCase, Promise<RunSummary>>();
  const reference = (c: ContractCase): Promise<RunSummary> => {
    let r = references.get(c);
    if (!r) references.set(c, (r = runContractCase(o.reference!.backend(), o.strategies, c)));
    return r;
  };

  describe(`backend contract: ${o.name}`, () => {
    describe.each([...(o.cases ?? contractCases)])('$strategy on $workload', (c) => {
      run(o.reference ? `honours the contract and agrees with ${o.reference.name}` : 'honours the contract', async () => {
        const s = await runContractCase(o.backend(), o.strategies, c);
        const m = s.result.metrics;
        expect(s.result.verified).toBe(c.expect.verified);
        if (c.expect.demandFaults !== undefined) expect(m.demandFaults).toBe(c.expect.demandFaults);
        if (c.expect.mismatches) expect(m.mismatchedPages).toBeGreaterThan(0);
        else expect(m.mismatchedPages).toBe(0);
        expect(m.strategyFailures).toBe(0);
        if (o.reference) expect(comparableSummary(s)).toEqual(comparableSummary(await reference(c)));
      });
    });
  });
}
