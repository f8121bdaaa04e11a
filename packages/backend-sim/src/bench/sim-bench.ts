/**
 * Simulator speed: a zipf trace with two strategies attached (a fault window of 8 and a reactive
 * prefetch of the 16 pages after it), against a plain typed-array replay of the same trace.
 * Usage: node packages/backend-sim/dist/bench/sim-bench.js [accesses] [pages]   (BENCH_RUNS=n, default 3)
 */
import { map } from 'rxjs';
import {
  AttachedStrategy,
  builtInWorkloads,
  copyPages,
  DefaultWorkloadRegistry,
  runRestore,
  Strategy,
  Workload,
} from '@restorelab/core';
import { SimBackend } from '../sim-backend';

const WINDOW = 8;
const PREFETCH = 16;

function benchStrategies(): AttachedStrategy[] {
  const windowRule: Strategy = {
    plan: (ctx) => ctx.faultWindow({ forward: WINDOW, backward: 0 }),
  };
  const reactivePrefetch: Strategy = {
    attach: (ctx) =>
      ctx.faults$.pipe(
        map((f) => {
          const total = ctx.image.processes.find((p) => p.pid === f.pid)!.totalPages;
          const from = Math.min(f.page + WINDOW + 1, total - 1);
          return copyPages(f.pid, from, Math.max(1, Math.min(PREFETCH, total - from)));
        }),
      ),
  };
  return [
    { name: 'window', spec: `window:forward=${WINDOW}`, instance: windowRule },
    { name: 'reactive-prefetch', spec: `reactive-prefetch:pages=${PREFETCH}`, instance: reactivePrefetch },
  ];
}

/** The least a replay can do: walk the trace, add the gaps, count first touches. */
function referenceReplay(w: Workload): number {
  const tr = w.traces[0];
  const present = new Uint8Array(w.image.processes[0].totalPages);
  const { page, gapNs } = tr;
  let t = 0;
  let faults = 0;
  for (let k = tr.migrateAt; k < page.length; k++) {
    t += gapNs[k];
    const p = page[k];
    if (present[p] === 0) {
      present[p] = 1;
      faults++;
      t += 13000;
    }
  }
  return t + faults;
}

/** CPU time (user + system) of this process, in ms: other load on the machine does not count. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function bestOf(runs: number, fn: () => unknown): Promise<{ cpu: number; wall: number }> {
  let cpu = Infinity;
  let wall = Infinity;
  for (let i = 0; i < runs; i++) {
    const w0 = process.hrtime.bigint();
    const c0 = cpuMs();
    await fn();
    cpu = Math.min(cpu, cpuMs() - c0);
    wall = Math.min(wall, Number(process.hrtime.bigint() - w0) / 1e6);
  }
  return { cpu, wall };
}

async function main(): Promise<void> {
  const accesses = Number(process.argv[2] ?? 1_000_000);
  const pages = Number(process.argv[3] ?? 65536);
  const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });
  const workload = registry.create(`zipf:pages=${pages},accesses=${accesses},sourceAccesses=0,seed=1`);
  const backend = new SimBackend();

  const runs = Number(process.env.BENCH_RUNS ?? 3);
  let metrics: { events: number; demandFaults: number; latePrefetches: number; verified: boolean } | undefined;
  const sim = await bestOf(runs, async () => {
    const out = await runRestore({ backend, workload, strategy: 'window,reactive-prefetch', strategies: benchStrategies(), seed: 1, logPath: null });
    metrics = { ...out.result.metrics, verified: out.result.verified };
  });
  const ref = await bestOf(runs * 3, () => referenceReplay(workload));
  const rate = (ms: number) => ((accesses / ms) * 1000) / 1e6;

  console.log(`workload       ${workload.spec}`);
  console.log(`strategies     window:forward=${WINDOW} + reactive prefetch of ${PREFETCH} pages per fault`);
  console.log(`events         ${metrics!.events}, faults ${metrics!.demandFaults}, late prefetches ${metrics!.latePrefetches}, verified ${metrics!.verified}`);
  console.log(`sim            ${sim.cpu.toFixed(0)} ms CPU (${sim.wall.toFixed(0)} ms wall), ${rate(sim.cpu).toFixed(2)} M accesses/s; best of ${runs}, run + metrics`);
  console.log(`reference      ${ref.cpu.toFixed(1)} ms CPU (${ref.wall.toFixed(1)} ms wall), ${rate(ref.cpu).toFixed(1)} M accesses/s; plain typed-array replay`);
  console.log(`ratio          ${(sim.cpu / ref.cpu).toFixed(1)}x the reference (CPU time)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
