import * as fs from 'fs';
import * as path from 'path';

/**
 * The dependency rules the layout promises, checked on the sources: no import circle between files,
 * packages depend one way (cli on strategies and backends, those on core only), and nothing imports
 * another package past its exports map.
 */
const root = path.join(__dirname, '..');
const packagesDir = path.join(root, 'packages');
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  strategies: ['core'],
  'backend-sim': ['core'],
  'backend-linux': ['core'],
  cli: ['core', 'strategies', 'backend-sim', 'backend-linux'],
};
const EXPORTS = new Set(['', '/testing']);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sources(p);
    return /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*?from '([^']+)'/gm)].map((m) => m[1]);
}

function resolveLocal(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(c)) return c;
  return undefined;
}

const files = [...sources(packagesDir), ...sources(path.join(root, 'e2e'))];
const pkgOf = (f: string) => path.relative(packagesDir, f).split(path.sep)[0];
const isTest = (f: string) => /\.test\.ts$|[/\\](__fixtures__|testing|e2e)[/\\]/.test(f);

describe('architecture', () => {
  it('has no import circle between source files', () => {
    const graph = new Map<string, string[]>();
    for (const f of files) graph.set(f, imports(f).filter((s) => s.startsWith('.')).map((s) => resolveLocal(f, s)).filter((x): x is string => !!x));
    const state = new Map<string, 1 | 2>();
    const circles: string[] = [];
    const visit = (f: string, stack: string[]) => {
      state.set(f, 1);
      for (const g of graph.get(f) ?? []) {
        if (state.get(g) === 1) circles.push([...stack.slice(stack.indexOf(g)), g].map((x) => path.relative(root, x)).join(' -> '));
        else if (!state.has(g)) visit(g, [...stack, g]);
      }
      state.set(f, 2);
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f, [f]);
    expect(circles).toEqual([]);
  });

  it("core's folders depend one way (no circle between folders)", () => {
    const core = path.join(packagesDir, 'core', 'src');
    const folders = new Map<string, Set<string>>();
    for (const f of files.filter((x) => x.startsWith(core) && !isTest(x))) {
      const from = path.relative(core, f).split(path.sep);
      if (from.length < 2) continue;
      for (const s of imports(f).filter((x) => x.startsWith('.'))) {
        const to = path.relative(core, path.resolve(path.dirname(f), s)).split(path.sep);
        if (to.length < 2 || to[0] === from[0] || to[0].startsWith('..')) continue;
        if (!folders.has(from[0])) folders.set(from[0], new Set());
        folders.get(from[0])!.add(to[0]);
      }
    }
    const reaches = (a: string, b: string, seen = new Set<string>()): boolean =>
      [...(folders.get(a) ?? [])].some((x) => x === b || (!seen.has(x) && (seen.add(x), reaches(x, b, seen))));
    const circles = [...folders].flatMap(([a, tos]) => [...tos].filter((b) => reaches(b, a)).map((b) => `${a} <-> ${b}`));
    expect(circles).toEqual([]);
    expect(folders.size).toBeGreaterThan(5);
  });

  it('packages depend one way, tests included, and only through their exports', () => {
    const wrong: string[] = [];
    for (const f of files) {
      const from = f.startsWith(packagesDir) ? pkgOf(f) : 'e2e';
      for (const s of imports(f)) {
        const m = /^@restorelab\/([a-z-]+)(\/.*)?$/.exec(s);
        if (m && !EXPORTS.has(m[2] ?? '')) wrong.push(`${path.relative(root, f)} imports ${s}, past the exports map`);
        if (m && from !== 'e2e' && m[1] !== from && !ALLOWED[from].includes(m[1])) wrong.push(`${path.relative(root, f)} (${from}) imports ${m[1]}`);
        if (s.startsWith('.') && from !== 'e2e' && !path.resolve(path.dirname(f), s).startsWith(path.join(packagesDir, from))) {
          wrong.push(`${path.relative(root, f)} reaches into another package with ${s}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(files.filter(isTest).length).toBeGreaterThan(50);
  });

  it('package.json dependencies say the same', () => {
    for (const [pkg, allowed] of Object.entries(ALLOWED)) {
      const j = JSON.parse(fs.readFileSync(path.join(packagesDir, pkg, 'package.json'), 'utf8'));
      const deps = Object.keys({ ...j.dependencies, ...j.devDependencies }).filter((d) => d.startsWith('@restorelab/')).map((d) => d.slice(12));
      expect([pkg, deps.sort()]).toEqual([pkg, [...allowed].sort()]);
    }
  });
});
