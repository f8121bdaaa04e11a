import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RunResult } from '@restorelab/core';
import { specHash } from '../format/log-file-name';
import { assertBuilt, BIN, cli, tempDir } from './cli';

/** Whether the Linux backend can run here, from `restorelab doctor --json` (the reason when not). */
function linuxUnavailable(): string | null {
  assertBuilt();
  const r = spawnSync(process.execPath, [BIN, 'doctor', '--json'], { encoding: 'utf8' });
  if (r.status !== 0) return `restorelab doctor failed: ${r.stderr.trim()}`;
  const report = JSON.parse(r.stdout) as { ok: boolean; problems: { what: string }[] };
  return report.ok ? null : report.problems.map((p) => p.what).join('; ') || 'doctor says the linux backend cannot run here';
}

const reason = linuxUnavailable();
if (reason) console.warn(`skipping the linux e2e tests: ${reason}`);
const linuxIt = reason ? it.skip : it;

describe('restorelab bench decision-latency (e2e)', () => {
  linuxIt('prints each echo restore and the ratios to the C fault round trip', async () => {
    const r = await cli(['bench', 'decision-latency', '--pages', '512', '--runs', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { workload: string; runs: { demandFaults: number; decisions: number; landed: number; decisionLatencyNs: { p50: number; p99: number } }[]; referenceNsPerFault: number; p50Ratio: number };
    expect(out.workload).toBe('seq:pages=512');
    expect(out.runs).toHaveLength(2);
    for (const x of out.runs) {
      expect(x.demandFaults).toBeGreaterThan(0);
      // every fault but the last is answered, queued or dropped as too late
      expect(x.decisions).toBeGreaterThanOrEqual(x.demandFaults - 1);
      expect(x.landed).toBeLessThanOrEqual(x.decisions);
      expect(x.decisionLatencyNs.p99).toBeGreaterThanOrEqual(x.decisionLatencyNs.p50);
    }
    expect(out.referenceNsPerFault).toBeGreaterThan(0);
    expect(out.p50Ratio).toBeCloseTo(out.runs[0].decisionLatencyNs.p50 / out.referenceNsPerFault, 6);
    const text = await cli(['bench', 'decision-latency', '--pages', '256']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toBe('workload seq:pages=256 · echo strategy (the page after each fault) · fault to the command handled (queued or too late), and to its landing');
    expect(text.stdout).toMatch(/^1 \(fresh\)\s+\d+\s+\d+\s+[\d.]+/m);
    expect(text.stdout).toMatch(/^C reference fault round trip [\d.]+ us; first run p50 [\d.]+x, p99 [\d.]+x of it/m);
  });
});

describe('restorelab run --backend linux (e2e)', () => {
  linuxIt('verifies on real userfaultfd, and replay reproduces each log', async () => {
    const dir = tempDir('e2e-linux');
    try {
      const run = await cli([
        'run', '--backend', 'linux', '--workload', 'zipf:pages=1024,accesses=4000',
        '--strategy', 'demand-only', '--strategy', 'neighbor-prefetch:window=4', '--json', '--log-dir', dir,
      ]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const results = JSON.parse(run.stdout) as RunResult[];
      expect(results.map((r) => [r.backend, r.strategy, r.verified])).toEqual([
        ['linux', 'demand-only', true],
        ['linux', 'neighbor-prefetch:window=4', true],
      ]);
      expect(results[1].log).toBe(path.join(dir, `linux-zipf-${specHash(results[1].workload)}-neighbor-prefetch_window=4-1.rlog`));
      expect(results[1].metrics.pagesCopied.prefetch).toBeGreaterThan(0);
      for (const r of results) {
        const replay = await cli(['replay', r.log!, '--json']);
        expect(JSON.parse(replay.stdout)).toEqual(r);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
