/**
 * Load figures (node packages/cli/dist/bench/load-bench.js [CASE...]): each case is one restore in
 * a fresh node process, with its event log written, and prints the process's peak RSS, the events
 * and the log's bytes per event, so growth with the image, the fork tree or the trace is visible.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RestoreBackend, runRestore, StrategyRegistry, WorkloadRegistry } from '@restorelab/core';
import { SimBackend } from '@restorelab/backend-sim';
import { LinuxBackend } from '@restorelab/backend-linux';
import { createContainer } from '../container';

const CASES: Readonly<Record<string, { backend: 'sim' | 'linux'; workload: string; strategy: string }>> = {
  'sim-4GiB': { backend: 'sim', workload: 'seq:pages=1048576', strategy: 'demand-only' },
  'linux-4GiB': { backend: 'linux', workload: 'seq:pages=1048576', strategy: 'demand-only' },
  'sim-forktree-16': { backend: 'sim', workload: 'forktree:pages=16384,procs=16', strategy: 'demand-only' },
  'linux-forktree-16': { backend: 'linux', workload: 'forktree:pages=16384,procs=16', strategy: 'demand-only' },
  'sim-10M-accesses': { backend: 'sim', workload: 'zipf:pages=65536,accesses=10000000,sourceAccesses=0', strategy: 'neighbor-prefetch' },
};

interface Figures {
  readonly case: string;
  readonly wallS: number;
  readonly maxRssMiB: number;
  readonly pages: number;
  readonly accesses: number;
  readonly events: number;
  readonly logBytes: number;
  readonly verified: boolean;
}

async function one(name: string): Promise<Figures> {
  const c = CASES[name];
  const container = await createContainer();
  const workload = container.get<WorkloadRegistry>(WorkloadRegistry).create(c.workload);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-load-'));
  try {
    const logPath = path.join(dir, 'run.rlog');
    const backend: RestoreBackend = c.backend === 'sim' ? new SimBackend() : new LinuxBackend();
    const t0 = process.hrtime.bigint();
    const out = await runRestore({ backend, workload, strategy: c.strategy, strategies: container.get<StrategyRegistry>(StrategyRegistry).instantiate(c.strategy), seed: 1, logPath });
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    return {
      case: name,
      wallS,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      pages: workload.image.processes.reduce((n, p) => n + p.totalPages, 0),
      accesses: workload.traces.reduce((n, t) => n + t.page.length, 0),
      events: out.store.length,
      logBytes: fs.statSync(logPath).size,
      verified: out.result.verified,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [flag, name] = process.argv.slice(2);
  if (flag === '--case') {
    process.stdout.write(`${JSON.stringify(await one(name))}\n`);
    return;
  }
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CASES);
  console.log('case                 wall s  max RSS MiB      pages    accesses      events  log B/event  verified');
  for (const n of names) {
    if (!CASES[n]) throw new Error(`unknown case ${n} (known: ${Object.keys(CASES).join(', ')})`);
    const r = spawnSync(process.execPath, [__filename, '--case', n], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) {
      console.log(`${n.padEnd(20)} failed (exit ${r.status ?? r.signal})`);
      continue;
    }
    const f = JSON.parse(r.stdout) as Figures;
    console.log(
      `${f.case.padEnd(20)} ${f.wallS.toFixed(1).padStart(6)} ${f.maxRssMiB.toFixed(0).padStart(12)} ${String(f.pages).padStart(10)} ${String(f.accesses).padStart(11)} ${String(f.events).padStart(11)} ${(f.logBytes / f.events).toFixed(1).padStart(12)}  ${f.verified}`,
    );
  }
}

void main();
