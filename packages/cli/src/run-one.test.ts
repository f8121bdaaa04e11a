import { RestoreBackend, StrategyRegistry, UsageError } from '@restorelab/core';
import { SimBackend } from '@restorelab/backend-sim';
import { createContainer } from './container';
import { createWorkload, runOne, workloadSpecWithSeed } from './run-one';

describe('runOne', () => {
  it('fills in the run seed when the workload spec does not set one', async () => {
    const c = await createContainer();
    expect(workloadSpecWithSeed(c, 'zipf:pages=64', 7)).toBe('zipf:pages=64,seed=7');
    expect(workloadSpecWithSeed(c, 'zipf', 7)).toBe('zipf:seed=7');
    expect(workloadSpecWithSeed(c, 'zipf:seed=3,pages=64', 7)).toBe('zipf:seed=3,pages=64');
    expect(createWorkload(c, 'seq:pages=64', 9).spec).toMatch(/^seq:pages=64,.*seed=9$/);
  });

  it('runs a stack by name on the simulator, from a spec or a generated workload', async () => {
    const c = await createContainer();
    const workload = createWorkload(c, 'seq:pages=256', 1);
    const a = await runOne(c, { backend: 'sim', workload, strategy: 'demand-only', seed: 1, logPath: null });
    const b = await runOne(c, { backend: 'sim', workload: 'seq:pages=256', strategy: 'neighbor-prefetch:window=3', seed: 1, logPath: null });
    expect(a.result).toMatchObject({ backend: 'sim', strategy: 'demand-only', workload: workload.spec, verified: true, log: null });
    expect(a.result.metrics.demandFaults).toBe(256);
    // one fault copies itself and the next 3 pages: a quarter of the faults
    expect(b.result.metrics.demandFaults).toBe(64);
    expect(b.result.workload).toBe(workload.spec);
  });

  it('gives the backend new instances of the stack to warm up with, once per stack in a process', async () => {
    const c = await createContainer();
    const registry = c.get<StrategyRegistry>(StrategyRegistry);
    const made = jest.spyOn(registry, 'instantiate');
    const sim = new SimBackend();
    // a backend that warms its strategies up before its clock, as the Linux backend does
    const warming: RestoreBackend = { name: 'warming', description: 'sim, warmed', availability: () => sim.availability(), describe: () => sim.describe(), run: (session, o) => (session.warmUp(), sim.run(session, o)) };
    const req = { backend: warming, workload: 'zipf:pages=256,accesses=1000', strategy: 'criu-lazy', seed: 1, logPath: null };
    const first = await runOne(c, req);
    expect(made).toHaveBeenCalledTimes(2);
    const again = await runOne(c, req);
    expect(made).toHaveBeenCalledTimes(3);
    // the warm-up leaves no trace in the run: both runs are the same restore
    expect(again.result.metrics).toEqual(first.result.metrics);
    expect(first.result.verified).toBe(true);
  });

  it('refuses unknown names with a UsageError', async () => {
    const c = await createContainer();
    const req = { backend: 'sim', workload: 'seq:pages=16', strategy: 'demand-only', seed: 1, logPath: null };
    await expect(runOne(c, { ...req, strategy: 'nope' })).rejects.toThrow(UsageError);
    await expect(runOne(c, { ...req, backend: 'nope' })).rejects.toThrow("unknown backend 'nope'");
    await expect(runOne(c, { ...req, workload: 'nope' })).rejects.toThrow("unknown workload 'nope'");
  });
});
