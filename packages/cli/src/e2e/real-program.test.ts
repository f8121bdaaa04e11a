import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RunResult } from '@restorelab/core';
import { linuxUnavailableReason } from '@restorelab/backend-linux';
import { cli, tempDir } from './cli';

const skip = linuxUnavailableReason();
if (skip) console.warn(`linux restores of a real program's trace skipped: ${skip}`);
const linuxIt = skip ? it.skip : it;

/** A real program under valgrind's lackey: gzip -6 of a text file of this repository. */
const INPUT = path.resolve(__dirname, '..', '..', '..', '..', 'docs', 'trace-format.md');

function runs(stdout: string): RunResult[] {
  return JSON.parse(stdout) as RunResult[];
}

describe('a real program traced by valgrind lackey, imported and restored (e2e)', () => {
  let dir: string;
  let trace: string;
  let image: string;

  beforeAll(async () => {
    dir = tempDir('real-program');
    const lackey = path.join(dir, 'gzip.lackey');
    const v = spawnSync('valgrind', ['--tool=lackey', '--trace-mem=yes', `--log-file=${lackey}`, 'gzip', '-6', '-c', INPUT], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (v.error) throw new Error(`valgrind is needed for this test (.ci/run installs it): ${v.error.message}`);
    expect(v.status).toBe(0);
    trace = path.join(dir, 'gzip.rltrace');
    const imp = await cli(['trace', 'import', '--format', 'lackey', lackey, trace, '--migrate-at', '0.5', '--json']);
    expect(imp.stderr).toBe('');
    expect(imp.code).toBe(0);
    const got = JSON.parse(imp.stdout) as { accesses: number; lines: number; migrateAt: number };
    expect(got.accesses).toBeGreaterThan(10000);
    expect(got.migrateAt).toBe(Math.round(got.accesses / 2));
    image = path.join(dir, 'img');
    const img = await cli(['image', `trace:${trace}`, '--out', image]);
    expect(img.code).toBe(0);
  }, 120_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trace stats summarises it', async () => {
    const r = await cli(['trace', 'stats', trace, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { accesses: number; processes: { pages: number; sourceAccesses: number; workingSet: number[]; reuseDistance: { p50: number } }[] };
    expect(s.processes).toHaveLength(1);
    const [p] = s.processes;
    expect(p.pages).toBeGreaterThan(50);
    expect(p.sourceAccesses).toBe(Math.round(s.accesses / 2));
    expect(p.workingSet[p.workingSet.length - 1]).toBe(p.pages);
    expect(p.reuseDistance.p50).toBeGreaterThanOrEqual(0);
  });

  linuxIt('restores with demand-only on both backends: the same demand faults, 0 mismatched pages', async () => {
    const sim = await cli(['run', '--workload', `image:${image}`, '--strategy', 'demand-only', '--json']);
    const linux = await cli(['run', '--backend', 'linux', '--workload', `image:${image}`, '--strategy', 'demand-only', '--json']);
    expect([sim.code, linux.code]).toEqual([0, 0]);
    const [s] = runs(sim.stdout);
    const [l] = runs(linux.stdout);
    expect(s.metrics.demandFaults).toBeGreaterThan(20);
    expect(l.metrics.demandFaults).toBe(s.metrics.demandFaults);
    expect([s.verified, l.verified, l.metrics.mismatchedPages]).toEqual([true, true, 0]);
    // the same trace, with its image synthesised on the fly
    const direct = await cli(['run', '--workload', `trace:${trace}`, '--strategy', 'demand-only', '--json']);
    expect(runs(direct.stdout)[0].metrics.demandFaults).toBe(s.metrics.demandFaults);
  }, 120_000);

  linuxIt('a second restore with the profile recorded from the first cuts demand faults by at least 80%', async () => {
    const rec = path.join(dir, 'recorded.rltrace');
    const first = await cli(['run', '--backend', 'linux', '--workload', `image:${image}`, '--strategy', 'demand-only', '--record-trace', rec, '--json']);
    expect(first.code).toBe(0);
    const second = await cli(['run', '--backend', 'linux', '--workload', `image:${image}`, '--strategy', `hot-first-precopy:profile=${rec},budget=0.999`, '--json']);
    expect(second.code).toBe(0);
    const [a] = runs(first.stdout);
    const [b] = runs(second.stdout);
    expect(b.verified).toBe(true);
    expect(b.metrics.demandFaults).toBeLessThanOrEqual(0.2 * a.metrics.demandFaults);
    console.log(`gzip -6 under lackey: ${a.metrics.demandFaults} demand faults recorded, ${b.metrics.demandFaults} with the recorded profile`);
    // the recorded trace replays the first restore's fault order on the image
    const replay = await cli(['run', '--workload', `trace:${rec},image=${image}`, '--strategy', 'demand-only', '--json']);
    expect(runs(replay.stdout)[0].metrics.demandFaults).toBe(a.metrics.demandFaults);
  }, 120_000);
});
