import { UsageError } from '../errors/usage-error';
import { builtInWorkloads } from './built-in-workloads';
import { DefaultWorkloadRegistry } from './workload-registry';
import { checkWorkloadFits, commonWorkloadSize, expectedEvents, workloadMemoryBytes, WorkloadSize } from './workload-size';

const registry = new DefaultWorkloadRegistry({ getContributions: () => [...builtInWorkloads] });
const params = (spec: string) => {
  const w = registry.create(spec);
  return w.params;
};

describe('workload sizes from parameters', () => {
  it('are what the built workload holds', () => {
    for (const spec of ['seq:pages=1000', 'forktree:pages=512,procs=3,accesses=100,zeroFraction=0.5', 'zipf:pages=4096,accesses=7000,sourceAccesses=10']) {
      const w = registry.create(spec);
      const size = commonWorkloadSize(w.params, w.name);
      expect(size.processes).toBe(w.image.processes.length);
      expect(size.pages).toBe(w.image.processes.reduce((n, p) => n + p.totalPages, 0));
      expect(size.accesses).toBe(w.traces.reduce((n, t) => n + t.page.length, 0));
    }
  });

  it('bound the content bytes by the zero fraction', () => {
    expect(commonWorkloadSize(params('seq:pages=1000,zeroFraction=0.25'), 'seq').contentBytes).toBe(750 * 4096);
  });

  it('expect a few events per faulted page', () => {
    expect(expectedEvents({ pages: 1000, accesses: 10 })).toBe(5 * 10 + 4096);
    expect(expectedEvents({ pages: 10, accesses: 1000 })).toBe(5 * 10 + 4096);
  });
});

describe('checkWorkloadFits', () => {
  const size = { processes: 1, pages: 1 << 20, accesses: 1 << 21, contentBytes: 4 << 30 };

  it('refuses more memory than is available, with the figure and the limit', () => {
    const need = workloadMemoryBytes(size);
    expect(() => checkWorkloadFits(size, 'workload w', need)).not.toThrow();
    expect(() => checkWorkloadFits(size, 'workload w', need - 1)).toThrow(UsageError);
    expect(() => checkWorkloadFits(size, 'workload w', 1 << 28)).toThrow(/^workload w: needs about 5\d\d\.\d MiB of memory \(1048576 pages, 2097152 accesses\), 256\.0 MiB is available$/);
  });

  it('refuses more pages than an image may have, whatever the memory', () => {
    expect(() => checkWorkloadFits({ ...size, pages: 2 ** 26 + 1 }, 'workload w', Infinity)).toThrow(/67108865 pages \(256\.0 GiB\) in all, more than an image may have/);
  });

  it('is checked by the registry before anything is built', () => {
    expect(() => registry.create('forktree:pages=67108864,procs=1024')).toThrow(/68719476736 pages \(256\.0 TiB\) in all/);
  });

  it('asks the caller, with the size from the parameters, before anything is built', () => {
    const asked: [WorkloadSize, string][] = [];
    const w = registry.create('seq:pages=4096,zeroFraction=0.5', (s, what) => asked.push([s, what]));
    expect(asked).toHaveLength(1);
    expect(asked[0][0]).toMatchObject({ processes: 1, pages: 4096, contentBytes: 2048 * 4096 });
    expect(asked[0][1]).toBe(`workload ${w.spec}`);
    expect(() =>
      registry.create('seq:pages=4096', () => {
        throw new UsageError('no room');
      }),
    ).toThrow('no room');
  });
});
