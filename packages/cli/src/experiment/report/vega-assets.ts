import * as fs from 'fs';
import * as path from 'path';

/** The browser builds inlined into report.html, in load order (vega-embed needs vega and vega-lite). */
export const VEGA_SCRIPTS = [
  { pkg: 'vega', file: 'build/vega.min.js' },
  { pkg: 'vega-lite', file: 'build/vega-lite.min.js' },
  { pkg: 'vega-embed', file: 'build/vega-embed.min.js' },
] as const;

/**
 * Finds a file of an installed package by walking the module search paths (these packages' export
 * maps do not expose their build files to require.resolve).
 */
export function packageFile(pkg: string, file: string): string {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = path.join(dir, pkg, file);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`cannot find ${pkg}/${file}: is the ${pkg} package installed (npm install)?`);
}

export interface InlineScript {
  readonly name: string;
  readonly version: string;
  readonly code: string;
}

let cache: InlineScript[] | undefined;

/** The scripts' code, safe to put between <script> tags. */
export function vegaScripts(): InlineScript[] {
  cache ??= VEGA_SCRIPTS.map(({ pkg, file }) => {
    const version = (JSON.parse(fs.readFileSync(packageFile(pkg, 'package.json'), 'utf8')) as { version: string }).version;
    const code = fs.readFileSync(packageFile(pkg, file), 'utf8').replace(/<\/(script)/gi, '<\\/$1');
    return { name: pkg, version, code };
  });
  return cache;
}
