import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const npm = (args: readonly string[], cwd: string) => execFileSync('npm', [...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  bin?: string | Record<string, string>;
  engines?: Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/**
 * The CLI installed as a user would from the registry, without one: every package it runs with
 * (ours from `npm pack` of the workspace, the others packed from this checkout's node_modules,
 * the versions npm ci put there) as tarballs in `work/tgz`, and an empty project in `work/app`
 * depending on the CLI, with a lockfile of that tree pointing at the tarballs, installed by
 * `npm ci --offline` with an empty npm cache.
 */
export function installOffline(work: string): { dir: string; log: string } {
  const tgz = path.join(work, 'tgz');
  const app = path.join(work, 'app');
  fs.mkdirSync(tgz, { recursive: true });
  fs.mkdirSync(app, { recursive: true });
  const paths = npm(['ls', '--all', '--omit=dev', '--parseable', '-w', '@restorelab/cli'], ROOT)
    .trim()
    .split('\n')
    .filter((p) => p.includes(`${path.sep}node_modules${path.sep}`));
  const dirs = [...new Set(paths.map((p) => fs.realpathSync(p)))];
  const packed = JSON.parse(npm(['pack', ...dirs, '--pack-destination', tgz, '--ignore-scripts', '--json'], ROOT)) as {
    name: string;
    version: string;
    filename: string;
    integrity: string;
  }[];
  const tarball = new Map(packed.map((p) => [`${p.name}@${p.version}`, p]));
  const cli = tarball.get('@restorelab/cli@0.1.0')!;
  const cliSpec = `file:../tgz/${cli.filename}`;
  const packages: Record<string, unknown> = { '': { name: 'offline-try', version: '1.0.0', dependencies: { '@restorelab/cli': cliSpec } } };
  for (const p of paths) {
    const pj = JSON.parse(fs.readFileSync(path.join(fs.realpathSync(p), 'package.json'), 'utf8')) as PackageJson;
    const t = tarball.get(`${pj.name}@${pj.version}`)!;
    const scripts = pj.scripts ?? {};
    packages[path.relative(ROOT, p).split(path.sep).join('/')] = {
      version: pj.version,
      resolved: `file:../tgz/${t.filename}`,
      integrity: t.integrity,
      license: pj.license,
      dependencies: pj.dependencies,
      optionalDependencies: pj.optionalDependencies,
      peerDependencies: pj.peerDependencies,
      bin: typeof pj.bin === 'string' ? { [pj.name.replace(/^@[^/]+\//, '')]: pj.bin } : pj.bin,
      engines: pj.engines,
      hasInstallScript: scripts.install || scripts.preinstall || scripts.postinstall ? true : undefined,
    };
  }
  // the CLI itself is the project's dependency, not a registry package
  (packages['node_modules/@restorelab/cli'] as { resolved: string }).resolved = cliSpec;
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'offline-try', version: '1.0.0', private: true, dependencies: { '@restorelab/cli': cliSpec } }, null, 1));
  fs.writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify({ name: 'offline-try', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 1));
  const r = spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--cache', path.join(work, 'empty-cache')], { cwd: app, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm ci --offline failed:\n${r.stdout}\n${r.stderr}`);
  return { dir: app, log: r.stdout + r.stderr };
}
