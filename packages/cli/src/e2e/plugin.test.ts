import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { linuxUnavailableReason } from '@restorelab/backend-linux';
import { RunResult } from '@restorelab/core';
import { BIN, cli, errLines, runNode, tempDir } from './cli';

const SMALL = 'zipf:pages=2048,accesses=8000';

/** A plugin whose strategy throws on the 50th fault it sees. */
const THROWING = `'use strict';
const { ContainerModule } = require('inversify');
const { StrategyContribution } = require('@restorelab/core');
const { map } = require('rxjs');
let n = 0;
exports.throwingModule = new ContainerModule(({ bind }) => {
  bind(StrategyContribution).toConstantValue({
    name: 'throws-late',
    description: 'throws on its 50th fault',
    params: {},
    deterministic: true,
    create: () => ({
      attach: (ctx) => ctx.faults$.pipe(map((f) => {
        if (++n === 50) throw new Error('strategy bug at fault 50');
        return { type: 'copy', pid: f.pid, page: f.page + 1, count: 1, priority: 'prefetch', cause: 'prefetch' };
      })),
    }),
  });
});
`;

/** Three strategies that throw from what they start of their own: a timer, an immediate, a promise. */
const THROWS_LATER = `'use strict';
const { ContainerModule } = require('inversify');
const { StrategyContribution } = require('@restorelab/core');
const { take, tap, ignoreElements } = require('rxjs');
const later = {
  'setTimeout': (e) => setTimeout(() => { throw e; }, 0),
  'setImmediate': (e) => setImmediate(() => { throw e; }),
  'promise': (e) => { Promise.reject(e); },
};
exports.laterModule = new ContainerModule(({ bind }) => {
  for (const how of Object.keys(later)) {
    bind(StrategyContribution).toConstantValue({
      name: 'throws-in-' + how.toLowerCase(),
      description: 'throws from its own ' + how,
      params: {},
      deterministic: false,
      create: () => ({
        attach: (ctx) => ctx.faults$.pipe(take(1), tap(() => later[how](new Error('thrown from ' + how))), ignoreElements()),
      }),
    });
  }
});
`;

describe('plugins (e2e)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('e2e-plugin');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('scaffolds a strategy that runs with --plugin, verifies, and passes its own self-test', async () => {
    const pkgDir = path.join(dir, 'next-pages');
    const created = await cli(['new', 'strategy', 'next-pages', '--dir', pkgDir]);
    expect(created.code).toBe(0);
    expect(fs.readdirSync(pkgDir).sort()).toEqual(['README.md', 'index.js', 'package.json', 'test.js']);

    const run = await cli(['run', '--workload', SMALL, '--plugin', pkgDir, '--strategy', 'next-pages', '--strategy', 'demand-only', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [mine, baseline] = JSON.parse(run.stdout) as RunResult[];
    expect(mine).toMatchObject({ strategy: 'next-pages', verified: true });
    expect(mine.metrics.strategyFailures).toBe(0);
    expect(mine.metrics.pagesCopied.prefetch).toBeGreaterThan(0);
    expect(mine.metrics.demandFaults).toBeLessThan(baseline.metrics.demandFaults);

    const listed = await cli(['strategies', '--json', '--plugin', pkgDir]);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((s) => s.name)).toContain('next-pages');

    const selfTest = await runNode([path.join(pkgDir, 'test.js')], { env: { RESTORELAB_CLI: BIN } });
    expect(selfTest.stderr).toBe('');
    expect(selfTest.stdout).toMatch(/^ok: next-pages verified, \d+ demand faults \(demand-only: \d+\)/);
    expect(selfTest.code).toBe(0);
  });

  it('prints next steps that run as printed, from where it was run', async () => {
    const created = await cli(['new', 'strategy', 'printed-steps'], { cwd: dir });
    const steps = created.stdout.split('\n').slice(created.stdout.split('\n').indexOf('next:') + 1).filter((l) => l.trim() !== '');
    expect(steps).toHaveLength(2);
    for (const step of steps) {
      const r = spawnSync('sh', ['-c', step.trim()], { cwd: dir, encoding: 'utf8', env: { ...process.env, RESTORELAB_CLI: '', RESTORELAB_DEBUG: '' } });
      expect({ step, code: r.status, stderr: r.stderr }).toEqual({ step, code: 0, stderr: '' });
    }
  });

  it('refuses to scaffold into a directory that is not empty', async () => {
    const full = path.join(dir, 'full');
    fs.mkdirSync(full);
    fs.writeFileSync(path.join(full, 'x'), '');
    const r = await cli(['new', 'strategy', 'other', '--dir', full]);
    expect(r.code).toBe(2);
    expect(errLines(r)).toEqual([`restorelab: ${full} already exists and is not an empty directory`]);
  });

  it('reports a plugin with a syntax error in one line naming the file and line, exit 2', async () => {
    const file = path.join(dir, 'broken.js');
    fs.writeFileSync(file, "'use strict';\nconst { ContainerModule } = require('inversify');\nexports.brokenModule = new ContainerModule(({ bind }) => {\n  bind(;\n});\n");
    const r = await cli(['run', '--workload', SMALL, '--plugin', file, '--strategy', 'eager']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(errLines(r)).toEqual([`restorelab: plugin ${file}: cannot load: SyntaxError: Unexpected token ';' at ${file}:4`]);
  });

  it('reports a plugin without a ContainerModule, exit 2', async () => {
    const file = path.join(dir, 'empty.js');
    fs.writeFileSync(file, 'module.exports = { nothing: 1 };\n');
    const r = await cli(['strategies', '--plugin', file]);
    expect(r.code).toBe(2);
    expect(errLines(r)).toEqual([expect.stringMatching(new RegExp(`^restorelab: plugin ${file}: exports no inversify ContainerModule`))]);
  });

  it('a strategy that throws is detached: the run completes, verifies and counts the failure', async () => {
    const file = path.join(dir, 'throwing.js');
    fs.writeFileSync(file, THROWING);
    const logDir = path.join(dir, 'logs');
    const r = await cli(['run', '--workload', SMALL, '--plugin', file, '--strategy', 'throws-late', '--json', '--log-dir', logDir]);
    expect(r.code).toBe(0);
    const [result] = JSON.parse(r.stdout) as RunResult[];
    expect(result).toMatchObject({ strategy: 'throws-late', verified: true });
    expect(result.metrics.strategyFailures).toBe(1);
    expect(result.metrics.pagesCopied.prefetch).toBeGreaterThan(0);
    // under the table, where the user looks: the strategy and its message
    expect(r.stderr).toMatch(/^throws-late: strategy throws-late was detached at [\d.]+ ms: strategy bug at fault 50$/m);

    const table = await cli(['replay', result.log!]);
    expect(table.code).toBe(0);
    const [, header, row] = table.stdout.trimEnd().split('\n');
    const cells = (l: string) => l.split(/\s{2,}/);
    expect(cells(row)[cells(header).indexOf('failed')]).toBe('1');
    expect(row.endsWith('✓')).toBe(true);
  });

  const linuxSkip = linuxUnavailableReason();
  it.each([
    ['sim', 'seq:pages=200000,vmas=1,accesses=200000'],
    ...(linuxSkip ? [] : [['linux', 'seq:pages=20000,vmas=1,accesses=20000,gapNs=20000']]),
  ])("isolates a strategy's own timers and promises on %s: a throw there detaches it, the CLI goes on", async (backend, workload) => {
    const file = path.join(dir, 'later.js');
    fs.writeFileSync(file, THROWS_LATER);
    const stack = 'throws-in-settimeout,throws-in-setimmediate,throws-in-promise,neighbor-prefetch:window=1';
    const r = await cli(['run', '--backend', backend, '--workload', workload, '--plugin', file, '--strategy', stack, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const [result] = JSON.parse(r.stdout) as RunResult[];
    expect(result).toMatchObject({ strategy: stack, verified: true });
    expect(result.metrics.strategyFailures).toBe(3);
    expect(result.metrics.pagesCopied.prefetch).toBeGreaterThan(0);
  });
});
