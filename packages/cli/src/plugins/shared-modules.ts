import * as path from 'path';

/**
 * Packages a plugin must share with the CLI: a strategy binds core's StrategyContribution symbol
 * in an inversify ContainerModule and returns rxjs Observables, so it has to see the very module
 * instances the CLI uses. They are the plugin's peer dependencies; whatever copy the plugin could
 * find itself, these requests resolve to the CLI's own.
 */
const SHARED = /^(@restorelab\/[a-z-]+|inversify|rxjs|reflect-metadata)(\/.*)?$/;

interface ModuleInternals {
  _resolveFilename(request: string, parent: { filename?: string | null } | undefined, ...rest: unknown[]): string;
}

const pluginRoots = new Set<string>();
let installed = false;

function inside(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** From now on, shared packages required by files under `root` resolve to the CLI's copies. */
export function shareModulesWith(root: string): void {
  pluginRoots.add(path.resolve(root));
  if (installed) return;
  installed = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('module') as ModuleInternals;
  const original = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, ...rest) {
    const from = parent?.filename;
    if (from && SHARED.test(request) && [...pluginRoots].some((r) => inside(from, r))) {
      try {
        return require.resolve(request);
      } catch {
        // not one the CLI has: let the plugin resolve it itself
      }
    }
    return original.call(this, request, parent, ...rest);
  };
}
