import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { linuxUnavailableReason } from '@restorelab/backend-linux';
import { installOffline } from '../support/offline-install';

/** The packages as published: packed, installed into an empty folder without the registry, run with npx. */
describe('the packages, installed from their tarballs without the registry', () => {
  let work: string;
  let app: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-offline-install-'));
    app = installOffline(work).dir;
  }, 600_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  const npx = (args: readonly string[]) =>
    spawnSync('npx', ['--no-install', 'restorelab', ...args], { cwd: app, encoding: 'utf8', env: { ...process.env, RESTORELAB_DEBUG: '' } });

  it('links restorelab into node_modules/.bin, and npx restorelab run restores the default workload', () => {
    expect(fs.existsSync(path.join(app, 'node_modules', '.bin', 'restorelab'))).toBe(true);
    const r = npx(['run', '--workload', 'seq:pages=1024', '--strategy', 'eager', '--strategy', 'demand-only', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const results = JSON.parse(r.stdout) as { strategy: string; verified: boolean }[];
    expect(results.map((x) => [x.strategy, x.verified])).toEqual([
      ['eager', true],
      ['demand-only', true],
    ]);
  });

  it('built the native addon at install: doctor loads it, and a Linux restore verifies where userfaultfd is usable', () => {
    const doctor = npx(['doctor', '--json']);
    const report = JSON.parse(doctor.stdout) as { addon: { loaded: boolean } };
    expect(report.addon).toEqual({ loaded: true });
    if (linuxUnavailableReason() !== undefined) return; // this machine cannot restore on Linux: the addon loading is what can be checked
    expect(doctor.status).toBe(0);
    const r = npx(['run', '--backend', 'linux', '--workload', 'seq:pages=2048', '--strategy', 'eager', '--json']);
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { verified: boolean }[])[0].verified).toBe(true);
  });

  it('the installed packages hold their build output and no sources or tests', () => {
    const core = path.join(app, 'node_modules', '@restorelab', 'core');
    expect(fs.existsSync(path.join(core, 'dist', 'index.js'))).toBe(true);
    expect(fs.existsSync(path.join(core, 'dist', 'index.d.ts'))).toBe(true);
    expect(fs.existsSync(path.join(core, 'src'))).toBe(false);
    const dist = fs.readdirSync(path.join(core, 'dist'), { recursive: true }) as string[];
    expect(dist.filter((f) => /\.test\.(js|d\.ts)$/.test(f))).toEqual([]);
  });
});
