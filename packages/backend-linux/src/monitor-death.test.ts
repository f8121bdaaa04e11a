import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { EventStore, RestoreSession } from '@restorelab/core';
import { makeRunDir } from './linux-backend';
import { loadNative } from './native-binding';
import { writeRunFiles } from './run-files';
import { linuxSkipReason } from './testing/linux-availability';
import { workloadFromSpec } from './testing/workloads';

/**
 * Killing the page server mid-restore must stop the restored process at once, with a clear
 * message, never letting it run on pages that were not restored. The monitor runs in a process
 * of its own (the fixture) so the test can SIGKILL it while the runner is this test's child.
 */
const skip = linuxSkipReason();
if (skip) console.warn(`monitor death test skipped: ${skip}`);
const linuxTest = skip ? test.skip : test;

function lines(child: ChildProcess, onLine: (l: string) => void): void {
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
}

linuxTest('the runner exits non-zero with "page server went away" when the monitor is killed mid-restore', async () => {
  const native = loadNative();
  if (!native.ok) throw new Error(native.reason);
  // 16384 pages, 100 us of compute before each access: the restore lasts seconds
  const workload = workloadFromSpec('seq:pages=16384,gapNs=100000,writeFraction=0.5');
  const session = new RestoreSession(workload, [], new EventStore());
  const dir = makeRunDir();
  const children: ChildProcess[] = [];
  try {
    writeRunFiles(dir, { image: workload.image, plan: session.plan, traces: workload.traces, windowFor: () => ({ forward: 0, backward: 0 }) });
    const fixtures = path.join(__dirname, '__fixtures__');
    const monitor = spawn(process.execPath, ['-r', path.join(fixtures, 'ts-register.js'), path.join(fixtures, 'monitor-fixture.ts'), dir, '200'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(monitor);
    const serving = new Promise<number>((resolve, reject) => {
      monitor.once('exit', (code) => reject(new Error(`monitor fixture exited early (${code})`)));
      lines(monitor, (l) => {
        if (l === 'listening') {
          const runner = spawn(native.runnerPath, [dir], { stdio: ['ignore', 'ignore', 'pipe'] });
          children.push(runner);
        } else if (l.startsWith('serving ')) resolve(Number(l.slice(8)));
      });
    });
    const faultsBeforeKill = await serving;
    const runner = children[1];
    let stderr = '';
    runner.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null; at: bigint }>((resolve) =>
      runner.once('exit', (code, signal) => resolve({ code, signal, at: process.hrtime.bigint() })),
    );
    expect(runner.exitCode).toBeNull();
    const killedAt = process.hrtime.bigint();
    monitor.kill('SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), 5000)))]);
    clearTimeout(timer);
    expect(outcome).not.toBeNull();
    const latencyMs = Number(outcome!.at - killedAt) / 1e6;
    console.log(`runner exited ${latencyMs.toFixed(1)} ms after the monitor was killed (${faultsBeforeKill} faults served before)`);
    expect(outcome!.signal).toBeNull();
    expect(outcome!.code).toBe(75);
    expect(stderr).toMatch(/restorelab-runner: page server went away/);
    // the monitor could not clean up: the runner removed the run directory
    expect(fs.existsSync(dir)).toBe(false);
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
