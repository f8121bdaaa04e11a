/**
 * Mutation fuzzing of every reader (node packages/cli/dist/fuzz/fuzz-main.js): for each target,
 * --cases mutants of valid inputs built here, one JSON report per line on stdout. Exit 1 if any
 * case failed (its bytes are saved under --save-dir, named in the report).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { BackendRegistry, EventStore, readEventLog, runRestore, StrategyRegistry, WorkloadRegistry, writeImage, writeWorkloadTrace } from '@restorelab/core';
import { criuTargets, eventLogTarget, FuzzTarget, imageTargets, runFuzz, traceTarget } from '@restorelab/core/testing';
import { SimBackend } from '@restorelab/backend-sim';
import { createContainer } from '../container';
import { arrowLogBytes } from '../experiment/arrow-log';
import { arrowLogTarget, costModelTarget, csvTarget, experimentTargets, lackeyTarget, specTarget } from './cli-fuzz-targets';

/** The experiment seed: examples/quick.yaml in a checkout, else the same grid, inline. */
const QUICK_EXPERIMENT = path.resolve(__dirname, '../../../../examples/quick.yaml');
const INLINE_EXPERIMENT = `name: quick
backends: [sim]
repetitions: 2
seed: 1
workloads:
  - name: zipf
    params: { pages: 2048, accesses: 6000, theta: 0.99 }
  - name: seq
    params: { pages: 1024 }
strategies:
  - demand-only
  - stack: neighbor-prefetch
    params:
      neighbor-prefetch: { window: [4, 16] }
`;

async function seedLogs(reg: { workloads: WorkloadRegistry; strategies: StrategyRegistry }, dir: string): Promise<{ rlog: Buffer[]; arrow: Buffer[] }> {
  const rlog: Buffer[] = [];
  const arrow: Buffer[] = [];
  for (const [w, s] of [
    ['zipf:pages=256,accesses=600', 'neighbor-prefetch:window=4,leap-trend'],
    ['forktree:pages=64,procs=3,accesses=40', 'cow-aware'],
  ]) {
    const logPath = path.join(dir, `${rlog.length}.rlog`);
    const out = await runRestore({ backend: new SimBackend(), workload: reg.workloads.create(w), strategy: s, strategies: reg.strategies.instantiate(s), seed: 1, logPath });
    rlog.push(fs.readFileSync(logPath));
    const log = readEventLog(logPath);
    arrow.push(Buffer.from(arrowLogBytes(log.meta, out.store as EventStore)));
  }
  return { rlog, arrow };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '500' },
      seed: { type: 'string', default: '1' },
      'save-dir': { type: 'string', default: path.join(os.tmpdir(), 'restorelab-fuzz-failures') },
      target: { type: 'string', multiple: true },
    },
  });
  const cases = Number(values.cases);
  const seed = Number(values.seed);
  const saveDir = path.resolve(values['save-dir']!);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-fuzz-'));
  try {
    const container = await createContainer();
    const reg = {
      workloads: container.get<WorkloadRegistry>(WorkloadRegistry),
      strategies: container.get<StrategyRegistry>(StrategyRegistry),
      backends: container.get<BackendRegistry>(BackendRegistry),
    };
    const imageDir = path.join(work, 'image');
    writeImage(reg.workloads.create('forktree:pages=64,procs=2,zeroFraction=0.25,accesses=8').image, imageDir);
    const logs = await seedLogs(reg, work);
    const traces = ['zipf:pages=256,accesses=300,vmas=3', 'forktree:pages=64,procs=3,accesses=40,gapNs=0'].map((w, i) => {
      const file = path.join(work, `${i}.rltrace`);
      writeWorkloadTrace(reg.workloads.create(w), file);
      return fs.readFileSync(file);
    });
    const targets: FuzzTarget[] = [
      eventLogTarget(logs.rlog),
      arrowLogTarget(logs.arrow),
      ...imageTargets(imageDir, path.join(work, 'case')),
      costModelTarget(path.join(work, 'case')),
      traceTarget(traces, path.join(work, 'case')),
      lackeyTarget(path.join(work, 'case')),
      csvTarget(path.join(work, 'case')),
      ...criuTargets(work),
      ...experimentTargets(fs.existsSync(QUICK_EXPERIMENT) ? fs.readFileSync(QUICK_EXPERIMENT, 'utf8') : INLINE_EXPERIMENT, reg),
      specTarget(reg),
    ];
    const wanted = values.target ?? targets.map((t) => t.name);
    const unknown = wanted.filter((w) => !targets.some((t) => t.name === w));
    if (unknown.length) throw new Error(`unknown fuzz target ${unknown.join(', ')} (known: ${targets.map((t) => t.name).join(', ')})`);
    let failed = 0;
    for (const t of targets.filter((x) => wanted.includes(x.name))) {
      const report = runFuzz(t, { cases, seed, saveDir });
      failed += report.failures.length;
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
    return failed > 0 ? 1 : 0;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`fuzz: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
