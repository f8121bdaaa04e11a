/**
 * The files `restorelab new strategy NAME` writes: a plain CommonJS package a researcher can run
 * without a build step. NAME is substituted; everything else is fixed text.
 */
export interface ScaffoldFile {
  readonly path: string;
  readonly content: string;
}

export const STRATEGY_NAME = /^[a-z][a-z0-9-]*$/;

export function packageNameFor(name: string): string {
  return `restorelab-strategy-${name}`;
}

/** ExampleModule-style export name: `next-pages` → `nextPagesModule`. */
export function moduleExportName(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase()) + 'Module';
}

function packageJson(name: string, coreVersion: string): string {
  const pkg = {
    name: packageNameFor(name),
    version: '0.1.0',
    description: `restorelab strategy ${name}`,
    license: 'MIT',
    main: 'index.js',
    files: ['index.js', 'README.md'],
    keywords: ['restorelab', 'restorelab-strategy', 'userfaultfd', 'lazy-restore'],
    scripts: { test: 'node test.js' },
    peerDependencies: {
      '@restorelab/core': `^${coreVersion}`,
      inversify: '^7.11.0',
      rxjs: '^7.8.2',
    },
    devDependencies: {
      '@restorelab/cli': `^${coreVersion}`,
    },
  };
  return JSON.stringify(pkg, null, 2) + '\n';
}

function indexJs(name: string): string {
  return `'use strict';
// restorelab strategy '${name}': after each demand fault, copy the next \`ahead\` lazy pages of the
// process in the background, so the accesses that follow find them present.
// Run it:  restorelab run --plugin . --strategy ${name} --strategy demand-only
const { ContainerModule } = require('inversify');
const { StrategyContribution, copyPages, defineStrategy } = require('@restorelab/core');
const { mergeMap, from } = require('rxjs');

// defineStrategy: the core checks the parameters against the schema (also when create is called
// directly) and hands create typed values with the defaults filled in.
const ${camel(name)} = defineStrategy({
  name: '${name}',
  description: 'after each fault, prefetch the next lazy pages of the process',
  // false: its copies are reactive, so whether a prefetch lands before the workload touches the
  // page depends on timing; the simulator and Linux may see different faults. (Strategies that act
  // only at plan time or through ctx.faultWindow are deterministic.)
  deterministic: false,
  params: {
    ahead: {
      type: 'integer',
      default: 8,
      minimum: 1,
      maximum: 512,
      description: 'pages after the faulting page to prefetch',
    },
  },
  create({ ahead }) {
    return {
      /** @param {import('@restorelab/core').StrategyContext} ctx */
      attach(ctx) {
        const pagesOf = new Map(ctx.image.processes.map((p) => [p.pid, p.totalPages]));
        return ctx.faults$.pipe(
          mergeMap((fault) => {
            const end = Math.min(fault.page + 1 + ahead, pagesOf.get(fault.pid) ?? 0);
            const commands = [];
            // Ask only for runs of lazy pages: pages present or in flight would count as duplicates.
            let run = -1;
            for (let p = fault.page + 1; p <= end; p++) {
              const lazy = p < end && ctx.state.isLazy(fault.pid, p);
              if (lazy && run < 0) run = p;
              if (!lazy && run >= 0) {
                commands.push(copyPages(fault.pid, run, p - run, 'prefetch'));
                run = -1;
              }
            }
            return from(commands);
          }),
        );
      },
    };
  },
});

const ${moduleExportName(name)} = new ContainerModule(({ bind }) => {
  bind(StrategyContribution).toConstantValue(${camel(name)});
});

module.exports = { ${moduleExportName(name)}, default: ${moduleExportName(name)} };
`;
}

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase()) + 'Strategy';
}

function testJs(name: string): string {
  return `'use strict';
// Self-test, no test framework: runs '${name}' and demand-only on the simulator through the
// restorelab CLI and checks that the restore is verified byte for byte, that the strategy did not
// fail, and that it takes no more demand faults than demand-only.  Usage: node test.js
const { spawnSync } = require('child_process');
const path = require('path');

const WORKLOAD = process.env.RESTORELAB_TEST_WORKLOAD || 'zipf:pages=2048,accesses=10000';

/** The restorelab command: $RESTORELAB_CLI (a bin.js), the installed @restorelab/cli, or restorelab on PATH. */
function restorelab() {
  if (process.env.RESTORELAB_CLI) return [process.execPath, process.env.RESTORELAB_CLI];
  try {
    const pkgFile = require.resolve('@restorelab/cli/package.json', { paths: [__dirname] });
    const bin = require(pkgFile).bin.restorelab;
    return [process.execPath, path.join(path.dirname(pkgFile), bin)];
  } catch {
    return ['restorelab'];
  }
}

function fail(message) {
  console.error('FAIL: ' + message);
  process.exit(1);
}

const [cmd, ...pre] = restorelab();
const args = [...pre, 'run', '--backend', 'sim', '--workload', WORKLOAD, '--plugin', __dirname,
  '--strategy', '${name}', '--strategy', 'demand-only', '--json'];
const r = spawnSync(cmd, args, { encoding: 'utf8' });
if (r.error)
  fail('cannot run restorelab (' + r.error.message + '): set RESTORELAB_CLI to the path of its bin.js ' +
    '(packages/cli/dist/bin.js in a checkout), install @restorelab/cli here, or put restorelab on the PATH');
if (r.status !== 0 && r.status !== 1) fail('restorelab exited with ' + r.status + ': ' + r.stderr.trim());

/** @type {import('@restorelab/core').RunResult[]} */
const results = JSON.parse(r.stdout);
const mine = results.find((x) => x.strategy === '${name}');
const baseline = results.find((x) => x.strategy === 'demand-only');
if (!mine || !baseline) fail('restorelab did not report both runs');
if (!mine.verified) fail('the restore with ${name} is not verified: ' + r.stderr.trim());
if (mine.metrics.strategyFailures !== 0) fail('${name} threw during the run and was detached');
if (mine.metrics.demandFaults > baseline.metrics.demandFaults)
  fail('${name} took more demand faults (' + mine.metrics.demandFaults + ') than demand-only (' + baseline.metrics.demandFaults + ')');
console.log('ok: ${name} verified, ' + mine.metrics.demandFaults + ' demand faults (demand-only: ' +
  baseline.metrics.demandFaults + '), prefetch accuracy ' + mine.metrics.prefetchAccuracy);
`;
}

function readme(name: string): string {
  return `# ${packageNameFor(name)}

A [restorelab](https://www.npmjs.com/package/@restorelab/cli) lazy-restore strategy: \`${name}\`.

    restorelab run --plugin . --strategy ${name} --strategy demand-only       # simulator
    restorelab run --plugin . --strategy ${name} --backend linux              # real userfaultfd
    node test.js                                                              # self-test

Installed as a package, load it by name: \`restorelab run --plugin ${packageNameFor(name)} --strategy ${name}\`.
`;
}

export function strategyScaffold(name: string, coreVersion: string): ScaffoldFile[] {
  if (!STRATEGY_NAME.test(name)) throw new Error(`bad strategy name '${name}'`);
  return [
    { path: 'package.json', content: packageJson(name, coreVersion) },
    { path: 'index.js', content: indexJs(name) },
    { path: 'test.js', content: testJs(name) },
    { path: 'README.md', content: readme(name) },
  ];
}
