import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Container } from 'inversify';
import * as inversify from 'inversify';
import * as rxjs from 'rxjs';
import { lastValueFrom, of, toArray } from 'rxjs';
import * as core from '@restorelab/core';
import { coreModule, copyPages, FaultRaisedEvent, StrategyContext, StrategyRegistry } from '@restorelab/core';
import { containerModulesOf } from '../plugins/load-plugin';
import { moduleExportName, strategyScaffold } from './strategy-template';

const files = strategyScaffold('next-pages', '0.1.0');
const file = (name: string) => files.find((f) => f.path === name)!.content;

/** Runs the generated CommonJS index.js with the CLI's own packages as its peers. */
function evaluateIndex(): Record<string, unknown> {
  const peers: Record<string, unknown> = { inversify, rxjs, '@restorelab/core': core };
  const mod = { exports: {} as Record<string, unknown> };
  const req = (name: string) => {
    if (!(name in peers)) throw new Error(`unexpected require('${name}')`);
    return peers[name];
  };
  new Function('require', 'module', 'exports', file('index.js'))(req, mod, mod.exports);
  return mod.exports;
}

function fault(pid: number, page: number): FaultRaisedEvent {
  return { seq: 0, t: 0, kind: core.EventKind.FaultRaised, pid, page, tid: pid, write: false, wp: false };
}

describe('restorelab new strategy templates', () => {
  it('writes package.json, index.js, test.js and README.md', () => {
    expect(files.map((f) => f.path)).toEqual(['package.json', 'index.js', 'test.js', 'README.md']);
    const pkg = JSON.parse(file('package.json'));
    expect(pkg).toMatchObject({
      name: 'restorelab-strategy-next-pages',
      main: 'index.js',
      scripts: { test: 'node test.js' },
      peerDependencies: { '@restorelab/core': '^0.1.0' },
    });
    expect(pkg.dependencies).toBeUndefined();
  });

  it('generates JavaScript that parses', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-scaffold-'));
    try {
      for (const f of ['index.js', 'test.js']) {
        fs.writeFileSync(path.join(dir, f), file(f));
        execFileSync(process.execPath, ['--check', path.join(dir, f)]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exports a ContainerModule as default and as <camelName>Module that registers the strategy', async () => {
    const exports = evaluateIndex();
    expect(moduleExportName('next-pages')).toBe('nextPagesModule');
    expect(exports.default).toBe(exports.nextPagesModule);
    const modules = containerModulesOf(exports);
    expect(modules).toHaveLength(1);
    const container = new Container();
    await container.load(coreModule, modules[0]);
    const registry = container.get<StrategyRegistry>(StrategyRegistry);
    const c = registry.get('next-pages')!;
    expect(c).toMatchObject({ deterministic: false, params: { ahead: { type: 'integer', default: 8 } } });
    expect(() => registry.instantiate('next-pages:ahead=0')).toThrow("parameter 'ahead' must be >= 1");
  });

  it('asks for the lazy runs after each faulting page, never past the process', async () => {
    const exports = evaluateIndex();
    const container = new Container();
    await container.load(coreModule, containerModulesOf(exports)[0]);
    const [attached] = container.get<StrategyRegistry>(StrategyRegistry).instantiate('next-pages:ahead=4');
    const notLazy = new Set([12]);
    const ctx = {
      image: { processes: [{ pid: 1, totalPages: 20 }] },
      state: { isLazy: (_pid: number, p: number) => !notLazy.has(p) },
      faults$: of(fault(1, 9), fault(1, 18)),
    } as unknown as StrategyContext;
    const commands = await lastValueFrom(attached.instance.attach!(ctx)!.pipe(toArray()));
    expect(commands).toEqual([copyPages(1, 10, 2, 'prefetch'), copyPages(1, 13, 1, 'prefetch'), copyPages(1, 19, 1, 'prefetch')]);
  });

  it('refuses names a strategy cannot have', () => {
    expect(() => strategyScaffold('Bad_Name', '0.1.0')).toThrow("bad strategy name 'Bad_Name'");
  });
});
