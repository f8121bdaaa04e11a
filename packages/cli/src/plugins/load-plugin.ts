import * as fs from 'fs';
import * as path from 'path';
import { ContainerModule } from 'inversify';
import { FILE_LIMITS, fileError, openRegularFile, UsageError } from '@restorelab/core';
import { shareModulesWith } from './shared-modules';

export interface LoadedPlugin {
  /** As given on the command line. */
  readonly spec: string;
  /** The file that was required. */
  readonly file: string;
  readonly modules: readonly ContainerModule[];
}

function looksLikePath(spec: string): boolean {
  return spec.startsWith('.') || path.isAbsolute(spec);
}

/** The entry file of a plugin given as a file, a directory or a package name. */
export function resolvePlugin(spec: string, cwd = process.cwd()): string {
  const asPath = path.resolve(cwd, spec);
  if (looksLikePath(spec) || fs.existsSync(asPath)) {
    if (!fs.existsSync(asPath)) throw new UsageError(`plugin ${spec}: ${asPath} does not exist`);
    if (fs.statSync(asPath).isDirectory()) checkManifest(asPath);
    else {
      checkPluginFile(asPath);
      checkManifest(pluginRoot(asPath));
    }
    try {
      return require.resolve(asPath);
    } catch {
      throw new UsageError(`plugin ${spec}: no loadable module at ${asPath} (expected a .js file, or a directory with package.json "main" or index.js)`);
    }
  }
  for (const paths of [[cwd], undefined]) {
    try {
      return require.resolve(spec, paths ? { paths } : undefined);
    } catch {
      // try the next place
    }
  }
  throw new UsageError(`plugin ${spec}: no such file, directory or installed package`);
}

/** The directory a plugin's files live in: its package root if it has one, else the file's directory. */
export function pluginRoot(file: string): string {
  let dir = path.dirname(file);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir || path.basename(dir) === 'node_modules') return path.dirname(file);
    dir = up;
  }
}

export function isContainerModule(x: unknown): x is ContainerModule {
  if (x instanceof ContainerModule) return true;
  const o = x as { load?: unknown; id?: unknown } | null;
  return typeof o === 'object' && o !== null && typeof o.load === 'function' && typeof o.id === 'number';
}

/** `default`, `module`, any named export ending in Module, or the exports object itself. */
export function containerModulesOf(exports: unknown): ContainerModule[] {
  if (isContainerModule(exports)) return [exports];
  if (typeof exports !== 'object' || exports === null) return [];
  const rec = exports as Record<string, unknown>;
  const found: ContainerModule[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if ((k === 'default' || k === 'module' || k.endsWith('Module')) && isContainerModule(v) && !found.includes(v)) found.push(v);
  }
  return found;
}

/** A one-line cause for a require() failure, with file:line for syntax errors. */
export function describeLoadError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const msg = e.message.split('\n')[0];
  if (e.name === 'SyntaxError' && e.stack) {
    const where = e.stack.split('\n')[0];
    if (/:\d+$/.test(where)) return `SyntaxError: ${msg} at ${where}`;
  }
  return e.name && e.name !== 'Error' && !msg.startsWith(e.name) ? `${e.name}: ${msg}` : msg;
}

/** require() would block on a FIFO and read a device without end: only a regular file within the limit. */
function checkPluginFile(file: string): void {
  let size: number;
  try {
    const opened = openRegularFile(file);
    fs.closeSync(opened.fd);
    size = opened.size;
  } catch (e) {
    throw new UsageError(`plugin ${file}: cannot load: ${fileError(e)}`);
  }
  if (size > FILE_LIMITS.plugin) throw new UsageError(`plugin ${file}: ${size} bytes, more than the ${FILE_LIMITS.plugin} a plugin's entry file may have`);
}

/** Resolving and loading read the package.json of a plugin's directory (main, type). */
function checkManifest(dir: string): void {
  const manifest = path.join(dir, 'package.json');
  if (fs.existsSync(manifest)) checkPluginFile(manifest);
}

/**
 * Requires a plugin (plain CommonJS, or compiled to it) and returns its ContainerModules.
 * Any failure is a UsageError naming the plugin file and the cause, in one line.
 */
export function loadPlugin(spec: string, cwd = process.cwd()): LoadedPlugin {
  const file = resolvePlugin(spec, cwd);
  checkPluginFile(file);
  const root = pluginRoot(file);
  checkManifest(root);
  shareModulesWith(root);
  let exports: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exports = require(file);
  } catch (e) {
    throw new UsageError(`plugin ${file}: cannot load: ${describeLoadError(e)}`);
  }
  const modules = containerModulesOf(exports);
  if (modules.length === 0)
    throw new UsageError(
      `plugin ${file}: exports no inversify ContainerModule (export it as 'default', 'module' or a name ending in Module)`,
    );
  return { spec, file, modules };
}
