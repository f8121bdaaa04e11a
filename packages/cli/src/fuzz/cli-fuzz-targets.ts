import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { BackendRegistry, checkWorkloadFits, commonWorkloadSize, computeMetrics, imageFromTrace, isVerified, parseLink, readTrace, resolveParams, StrategyRegistry, UsageError, WorkloadRegistry } from '@restorelab/core';
import { binaryMutants, FuzzTarget, jsonMutants, spread } from '@restorelab/core/testing';
import { defaultCostModel, loadCostModel } from '@restorelab/backend-sim';
import { readArrowLogBounded } from '../experiment/arrow-log-sandbox';
import { expandExperiment } from '../experiment/expand-experiment';
import { parseExperiment } from '../experiment/load-experiment';
import { importCsvBytes } from '../trace/csv-import';
import { importLackeyBytes } from '../trace/lackey-import';

export interface CliRegistries {
  readonly workloads: WorkloadRegistry;
  readonly strategies: StrategyRegistry;
  readonly backends: BackendRegistry;
}

/** An Arrow event log as `replay` reads it. */
export function arrowLogTarget(seeds: readonly Buffer[]): FuzzTarget {
  return {
    name: 'arrow-log',
    // each case is a decoding child process (arrow-log-sandbox.ts)
    share: 0.1,
    mutants: (n, rng) =>
      spread(seeds, n, (s, k) => {
        // Arrow IPC: 8-byte aligned message lengths and body lengths all through the file
        const fields = Array.from({ length: Math.floor(s.length / 8) }, (_, i) => i * 8).filter((_, i) => i % 3 === 0);
        return binaryMutants(s, k, rng, [0, 6, 8, s.length - 10], fields.slice(0, 64));
      }),
    read(bytes) {
      const log = readArrowLogBounded(bytes, 'fuzz.arrow');
      isVerified(log.store, computeMetrics(log.store));
    },
  };
}

/** A cost model file as `--cost-model` reads it. */
export function costModelTarget(workDir: string): FuzzTarget {
  const file = path.join(workDir, 'cost-model.json');
  return {
    name: 'cost-model',
    mutants: (n, rng) => jsonMutants(JSON.stringify(defaultCostModel, null, 1), n, rng),
    read(bytes) {
      fs.mkdirSync(workDir, { recursive: true });
      fs.writeFileSync(file, bytes);
      loadCostModel(file);
    },
  };
}

/** An experiment file as `matrix` reads it: parsed, checked, counted and expanded (nothing run). */
export function experimentTargets(yamlText: string, reg: CliRegistries): FuzzTarget[] {
  const read = (file: string) => (bytes: Buffer) => {
    const exp = parseExperiment(bytes.toString('utf8'), file);
    expandExperiment(exp, reg, { source: file });
  };
  // with a links axis, so the mutants reach the link reader too
  const json = JSON.stringify({ ...(parseYaml(yamlText) as object), links: ['none', 'latency-us=200,bandwidth=1gbit', { latencyUs: [0, 200], bandwidth: ['1gbit', 1250000000], channels: [1, 2] }] });
  return [
    { name: 'experiment-json', mutants: (n, rng) => jsonMutants(json, n, rng), read: read('fuzz.json') },
    { name: 'experiment-yaml', mutants: (n, rng) => binaryMutants(Buffer.from(yamlText), n, rng), read: read('fuzz.yaml') },
  ];
}

/** --strategy and --workload specs as `run` reads them (a workload is sized, not built). */
export function specTarget(reg: CliRegistries): FuzzTarget {
  const seeds = [
    's:thp-guard,neighbor-prefetch:window=16,hot-first-precopy:budget=0.25',
    's:leap-trend:history=32,successor-prefetch',
    'w:zipf:pages=2048,accesses=6000,theta=0.99,seed=7',
    'w:forktree:pages=512,procs=3,sharedFraction=0.5',
    'l:latency-us=200,bandwidth=1gbit,channels=1',
    'l:bandwidth=2.5Gbps',
  ];
  return {
    name: 'specs',
    mutants: (n, rng) => spread(seeds.map((s) => Buffer.from(s)), n, (s, k) => binaryMutants(s, k, rng)),
    read(bytes) {
      const text = bytes.toString('utf8');
      if (text.startsWith('s:')) {
        reg.strategies.instantiate(text.slice(2));
        return;
      }
      if (text.startsWith('l:')) {
        parseLink(text.slice(2));
        return;
      }
      const spec = reg.workloads.parse(text.slice(2));
      const c = reg.workloads.get(spec.name);
      if (!c) throw new UsageError(`unknown workload '${spec.name}'`);
      const params = resolveParams(c.params, spec.raw, `workload ${c.name}`);
      if ('pages' in c.params) checkWorkloadFits(commonWorkloadSize(params, c.name), `workload ${c.name}`);
    },
  };
}

/** A lackey excerpt with every kind of line: the tool's header, instructions, loads, stores, modifies, a straddling access. */
const LACKEY_SEED = `==77== Lackey, an example Valgrind tool
==77== Command: gzip -6 -c in.txt
I  04016e0,3
 S 1fff000758,8
I  04016e3,5
 L 0422cff8,8
 M 0422cff0,4
I  04016e8,2
 L 0422dffc,8
 S 0422e000,8
I  04016ea,2
 L 7ff000398,16
 M 04a3c000,1
==77== Exit code: 0
`;

const CSV_SEED = 'address,op\n0x7f0000001000\n0x7f0000001fff,w\n\n# a comment\n3\n3,W\n0x7f0000003000,read\n17\n';

/** An importer as `trace import` runs it (the same parser and trace builder, bytes in memory), then the trace it wrote, read back. */
function importTarget(name: string, seed: string, workDir: string, run: (bytes: Buffer, out: string) => void): FuzzTarget {
  const out = path.join(workDir, `${name}.rltrace`);
  return {
    name,
    mutants: (n, rng) => binaryMutants(Buffer.from(seed), n, rng),
    read(bytes) {
      fs.mkdirSync(workDir, { recursive: true });
      run(bytes, out);
      const trace = readTrace(out);
      if (trace.processes.some((p) => p.page.length > 0)) imageFromTrace(trace, name, 1);
    },
  };
}

export function lackeyTarget(workDir: string): FuzzTarget {
  return importTarget('lackey', LACKEY_SEED, workDir, (bytes, out) => importLackeyBytes(bytes, 'fuzz.lackey', { out, name: 'fuzz', pid: 1, migrateAt: { fraction: 0.5 }, instructions: true }));
}

export function csvTarget(workDir: string): FuzzTarget {
  return importTarget('csv', CSV_SEED, workDir, (bytes, out) => importCsvBytes(bytes, 'fuzz.csv', { out, name: 'fuzz', pid: 1, base: 0x100000000000, gapNs: 200, migrateAt: { index: 2 } }));
}
