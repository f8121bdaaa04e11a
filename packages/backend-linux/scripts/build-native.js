#!/usr/bin/env node
/*
 * Builds the native addon and the workload runner (binding.gyp) with node-gyp.
 * Not Linux, or no C/C++ toolchain: one warning line, a note for the backend's "unavailable"
 * reason, exit 0. On Linux with a toolchain, a compile error fails the build.
 * `--install` (the package's install script): in a source checkout (src/ beside it) the
 * repository's own build does it, so the install step leaves it.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const note = path.join(root, 'build', 'native-skipped.txt');

function skip(reason) {
  fs.mkdirSync(path.dirname(note), { recursive: true });
  fs.writeFileSync(note, reason + '\n');
  console.warn(`warning: @restorelab/backend-linux native addon not built: ${reason} (the linux backend will be unavailable)`);
  process.exit(0);
}

function has(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

if (process.argv.includes('--install') && fs.existsSync(path.join(root, 'src'))) process.exit(0);
if (process.platform !== 'linux') skip(`userfaultfd needs Linux, this is ${process.platform}`);
const cxx = process.env.CXX || 'g++';
const cc = process.env.CC || 'cc';
const missing = [
  [cxx, '--version'],
  [cc, '--version'],
  ['make', '--version'],
  ['python3', '--version'],
]
  .filter(([cmd, arg]) => !has(cmd, [arg]))
  .map(([cmd]) => cmd);
if (missing.length) skip(`missing build tools: ${missing.join(', ')}`);

// the repository's node-gyp, else the one npm runs install scripts with
let gyp = process.env.npm_config_node_gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root, process.cwd()] });
} catch {
  if (!gyp) skip('node-gyp is not installed (it is a devDependency of the repository root)');
}

const args = [gyp, 'rebuild'];
// Build against this node's own headers when they are installed, so nothing is downloaded.
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.error) {
  console.error(`error: cannot run node-gyp: ${r.error.message}`);
  process.exit(1);
}
if (r.status !== 0) {
  console.error('error: building the @restorelab/backend-linux native addon failed (see above)');
  process.exit(r.status || 1);
}
fs.rmSync(note, { force: true });
