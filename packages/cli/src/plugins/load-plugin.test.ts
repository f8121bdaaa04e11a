import * as fs from 'fs';
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { ContainerModule } from 'inversify';
import { UsageError } from '@restorelab/core';
import { containerModulesOf, describeLoadError, loadPlugin, pluginRoot, resolvePlugin } from './load-plugin';

const FIXTURES = path.join(__dirname, '__fixtures__');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-plugin-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('containerModulesOf', () => {
  const m = new ContainerModule(() => undefined);
  const n = new ContainerModule(() => undefined);
  it('accepts default, module, names ending in Module, and the exports object itself', () => {
    expect(containerModulesOf({ default: m })).toEqual([m]);
    expect(containerModulesOf({ module: m })).toEqual([m]);
    expect(containerModulesOf({ fooModule: m, barModule: n, other: 1 })).toEqual([m, n]);
    expect(containerModulesOf(m)).toEqual([m]);
  });
  it('counts a module exported under two names once and ignores other names', () => {
    expect(containerModulesOf({ default: m, fooModule: m })).toEqual([m]);
    expect(containerModulesOf({ strategy: m })).toEqual([]);
    expect(containerModulesOf(undefined)).toEqual([]);
  });
});

describe('loadPlugin', () => {
  it('loads a file and finds its ContainerModule', () => {
    const file = path.join(FIXTURES, 'tiny.js');
    const p = loadPlugin(file);
    expect(p.file).toBe(file);
    expect(p.modules).toHaveLength(1);
  });

  it('loads a directory through package.json main, relative to cwd', () => {
    const file = path.join(FIXTURES, 'pkg', 'lib', 'entry.js');
    expect(resolvePlugin('./pkg', FIXTURES)).toBe(file);
    expect(pluginRoot(file)).toBe(path.join(FIXTURES, 'pkg'));
    expect(loadPlugin('./pkg', FIXTURES).modules).toHaveLength(1);
  });

  it('names the file and the cause of a syntax error, in one line', () => {
    // (the file:line suffix comes from Node's own loader: the e2e tests check it)
    const file = write('broken.js', "'use strict';\nconst x = ;\n");
    const msg = usageMessage(() => loadPlugin(file));
    expect(msg).toMatch(new RegExp(`^plugin ${file}: cannot load: SyntaxError: Unexpected token`));
    expect(msg).not.toContain('\n');
  });

  it('reports an exception thrown while loading', () => {
    const file = write('throws.js', "throw new TypeError('no config');\n");
    expect(usageMessage(() => loadPlugin(file))).toBe(`plugin ${file}: cannot load: TypeError: no config`);
  });

  it('refuses a module without a ContainerModule', () => {
    const file = write('empty.js', 'module.exports = { strategy: {} };\n');
    expect(usageMessage(() => loadPlugin(file))).toMatch(/^plugin .*empty\.js: exports no inversify ContainerModule/);
  });

  it('refuses what does not exist', () => {
    expect(usageMessage(() => loadPlugin('./nope', dir))).toBe(`plugin ./nope: ${path.join(dir, 'nope')} does not exist`);
    expect(usageMessage(() => loadPlugin('restorelab-strategy-that-is-not-installed', dir))).toBe(
      'plugin restorelab-strategy-that-is-not-installed: no such file, directory or installed package',
    );
  });

  it('refuses a FIFO or a device as the entry file or a package.json, without reading it', () => {
    const fifo = path.join(dir, 'fifo.js');
    execFileSync('mkfifo', [fifo]);
    expect(usageMessage(() => loadPlugin(fifo))).toBe(`plugin ${fifo}: cannot load: not a regular file (a FIFO)`);
    expect(usageMessage(() => loadPlugin('/dev/zero'))).toBe('plugin /dev/zero: cannot load: not a regular file (a character device)');
    write('pkg/index.js', 'module.exports = {};\n');
    execFileSync('mkfifo', [path.join(dir, 'pkg', 'package.json')]);
    expect(usageMessage(() => loadPlugin('./pkg', dir))).toBe(`plugin ${path.join(dir, 'pkg', 'package.json')}: cannot load: not a regular file (a FIFO)`);
    expect(usageMessage(() => loadPlugin(path.join(dir, 'pkg', 'index.js')))).toMatch(/package\.json: cannot load: not a regular file \(a FIFO\)$/);
  });
});

describe('describeLoadError', () => {
  it('adds file:line to a syntax error from Node', () => {
    const e = new SyntaxError("Unexpected token ';'");
    e.stack = "/p/index.js:2\nconst x = ;\n          ^\n\nSyntaxError: Unexpected token ';'\n    at wrapSafe";
    expect(describeLoadError(e)).toBe("SyntaxError: Unexpected token ';' at /p/index.js:2");
  });

  it('keeps only the first line of a message', () => {
    expect(describeLoadError(new Error('a\nb'))).toBe('a');
    expect(describeLoadError('text')).toBe('text');
  });
});
