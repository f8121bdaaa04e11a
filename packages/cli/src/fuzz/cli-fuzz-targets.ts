import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import {
  BackendRegistry,
  checkWorkloadFits,
  commonWorkloadSize,
  computeMetrics,
  isVerified,
  parseSpec,
  resolveParams,
  StrategyRegistry,
  UsageError,
  WorkloadRegistry,
} from '@restorelab/core';
import { binaryMutants, FuzzTarget, jsonMutants, spread } from '@restorelab/core/testing';
import { defaultCostModel, loadCostModel } from '@restorelab/backend-sim';
import { readArrowLogBounded } from '../experiment/arrow-log-sandbox';
import { expandExperiment } from '../experiment/expand-experiment';
import { parseExperiment } from '../experiment/load-experiment';

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
  const json = JSON.stringify(parseYaml(yamlText));
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
      const spec = parseSpec(text.slice(2), 'workload');
      const c = reg.workloads.get(spec.name);
      if (!c) throw new UsageError(`unknown workload '${spec.name}'`);
      const params = resolveParams(c.params, spec.raw, `workload ${c.name}`);
      checkWorkloadFits(commonWorkloadSize(params, c.name), `workload ${c.name}`);
    },
  };
}
