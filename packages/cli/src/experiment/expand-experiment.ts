import { createHash } from 'crypto';
import {
  BackendRegistry,
  canonicalSpec,
  CopyEngine,
  DEFAULT_COPY_ENGINE,
  ParamValue,
  parseSpec,
  resolveParams,
  splitStack,
  StrategyRegistry,
  UsageError,
  WorkloadRegistry,
} from '@restorelab/core';
import { ExperimentFile, ParamGrid, ParamScalar, StrategyEntry, WorkloadEntry } from './experiment-file';
import { gridAxes, gridPoints, varyingKeys } from './grid';
import { linkPoints, linkVariants, PlannedLink } from './link-variants';

export interface ExperimentRegistries {
  readonly workloads: WorkloadRegistry;
  readonly strategies: StrategyRegistry;
  readonly backends: BackendRegistry;
}

export interface PlannedWorkload {
  readonly name: string;
  readonly label: string;
  /** Canonical spec with every parameter (the seed included): what runs. */
  readonly spec: string;
  readonly params: Readonly<Record<string, ParamValue>>;
}

export interface PlannedStrategy {
  readonly label: string;
  /** The stack as run, e.g. `thp-guard,neighbor-prefetch:window=16`. */
  readonly spec: string;
  /** Every strategy of the stack with every parameter spelled out. */
  readonly canonical: string;
  /** strategy name → its resolved parameters. */
  readonly params: Readonly<Record<string, Readonly<Record<string, ParamValue>>>>;
}

/** One run of an experiment. */
export interface PlannedRun {
  /** Hash of what determines the run (backend, workload, strategy, seed, cost model). */
  readonly id: string;
  /** Position in the experiment's expansion order. */
  readonly index: number;
  readonly backend: string;
  readonly workload: PlannedWorkload;
  readonly strategy: PlannedStrategy;
  readonly repetition: number;
  readonly seed: number;
  /** The link the pages come over; null: local. */
  readonly link?: PlannedLink | null;
  /** How copied pages are placed (absent: copy, the default). */
  readonly copyEngine?: CopyEngine;
}

/** Runs an experiment may expand to unless told otherwise (`matrix --max-runs`). */
export const DEFAULT_MAX_RUNS = 100_000;

export interface ExpandOptions {
  /** Identifies the simulator's cost model; part of the id of simulator runs. */
  readonly simCostModel?: string;
  /** Refuse an experiment of more runs than this (default DEFAULT_MAX_RUNS), before expanding it. */
  readonly maxRuns?: number;
  /** Prefix of error messages, e.g. `experiment quick.yaml`. */
  readonly source?: string;
}

interface WorkloadVariant {
  readonly key: string;
  readonly name: string;
  readonly label: string;
  /** Raw parameters for one seed. */
  raw(seed: number): Record<string, string>;
}

interface StrategyVariant {
  readonly key: string;
  readonly strategy: PlannedStrategy;
}

/**
 * Every run of an experiment in its expansion order: workloads (and their grids), then strategy
 * stacks (and their grids), then backends, then repetitions. Names and parameters are checked
 * against the registries; every error is one UsageError line naming the key.
 */
export function expandExperiment(exp: ExperimentFile, reg: ExperimentRegistries, opts: ExpandOptions = {}): PlannedRun[] {
  const src = opts.source ?? 'experiment';
  const fail = (key: string, message: string): never => {
    throw new UsageError(`${src}: ${key}: ${message}`);
  };

  const count = countRuns(exp);
  const maxRuns = opts.maxRuns ?? DEFAULT_MAX_RUNS;
  if (count > maxRuns) {
    throw new UsageError(`${src}: expands to ${formatCount(count)} runs, more than the limit of ${maxRuns} (raise it with --max-runs)`);
  }

  exp.backends.forEach((b, i) => {
    try {
      reg.backends.get(b);
    } catch (e) {
      fail(`backends[${i}]`, message(e));
    }
  });

  const workloads = exp.workloads.flatMap((w, i) => workloadVariants(w, i, reg.workloads, fail));
  const links = linkVariants(exp.links, fail);
  const strategies = exp.strategies.flatMap((s, i) => strategyVariants(s, i, reg.strategies, fail));
  uniqueLabels(workloads.map((w) => [w.key, w.label]), 'workload', fail);
  uniqueLabels(strategies.map((s) => [s.key, s.strategy.label]), 'strategy', fail);

  const engines: readonly (CopyEngine | undefined)[] = exp.copyEngines ?? [undefined];
  const repetitions = exp.repetitions ?? 1;
  const baseSeed = exp.seed ?? 1;
  const runs: PlannedRun[] = [];
  const seen = new Map<string, string>();
  for (const w of workloads) {
    const planned = new Map<number, PlannedWorkload>();
    const workloadFor = (seed: number): PlannedWorkload => {
      let p = planned.get(seed);
      if (!p) {
        const contribution = reg.workloads.get(w.name)!;
        let params: Record<string, ParamValue>;
        try {
          params = resolveParams(contribution.params, w.raw(seed), `workload ${w.name}`);
        } catch (e) {
          return fail(w.key, message(e));
        }
        p = { name: w.name, label: w.label, spec: canonicalSpec(w.name, params), params };
        planned.set(seed, p);
      }
      return p;
    };
    for (const s of strategies) {
      for (const [li, link] of links.entries()) {
        for (const [ei, engine] of engines.entries()) {
          for (const backend of exp.backends) {
            for (let rep = 0; rep < repetitions; rep++) {
              const seed = baseSeed + rep;
              const base = workloadFor(seed);
              // the link and the engine are part of where the run happened: tables and charts tell them apart by it
              const where = [base.label, ...(link ? [link.label] : []), ...(engine ? [engine] : [])].join(' · ');
              const workload = where === base.label ? base : { ...base, label: where };
              const id = runId(backend, base.spec, s.strategy.canonical, seed, backend === 'sim' ? opts.simCostModel : undefined, link?.spec, engine);
              const key = `${w.key} x ${s.key}${exp.links ? ` x links[${li}]` : ''}${exp.copyEngines ? ` x copyEngines[${ei}]` : ''}`;
              const before = seen.get(id);
              if (before !== undefined) fail(key, `repeats the runs of ${before}`);
              seen.set(id, key);
              runs.push({ id, index: runs.length, backend, workload, strategy: s.strategy, repetition: rep, seed, link, ...(engine ? { copyEngine: engine } : {}) });
            }
          }
        }
      }
    }
  }
  return runs;
}

/**
 * How many runs an experiment expands to, from the sizes of its grids alone (nothing is expanded):
 * (workload grid points) x (strategy grid points) x links x copy engines x backends x repetitions.
 */
export function countRuns(exp: ExperimentFile): number {
  const points = (grids: readonly (ParamGrid | undefined)[]) => grids.reduce((n, g) => n * gridAxes(g).reduce((m, [, v]) => m * v.length, 1), 1);
  const workloads = exp.workloads.reduce((n, w) => n + (typeof w === 'string' ? 1 : points([w.params])), 0);
  const strategies = exp.strategies.reduce((n, s) => n + (typeof s === 'string' ? 1 : points(Object.values(s.params ?? {}))), 0);
  const links = exp.links ? exp.links.reduce((n, l) => n + linkPoints(l), 0) : 1;
  return workloads * strategies * links * (exp.copyEngines?.length ?? 1) * exp.backends.length * (exp.repetitions ?? 1);
}

function formatCount(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : n.toExponential(2);
}

export function runId(backend: string, workload: string, strategy: string, seed: number, costModel?: string, link?: string, copyEngine?: CopyEngine): string {
  // a local run's id is what it was before links existed, a copy run's what it was before engines
  const engine = copyEngine && copyEngine !== DEFAULT_COPY_ENGINE ? { copyEngine } : {};
  const what = JSON.stringify({ backend, workload, strategy, seed, costModel: costModel ?? null, ...(link ? { link } : {}), ...engine });
  return createHash('sha256').update(what).digest('hex').slice(0, 12);
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

function raw(v: ParamScalar): string {
  return typeof v === 'string' ? v : String(v);
}

function suffix(points: ReadonlyArray<readonly [string, ParamScalar]>, varying: Set<string>): string {
  return points
    .filter(([k]) => varying.has(k))
    .map(([k, v]) => `${k}=${raw(v)}`)
    .join(' ');
}

function workloadVariants(
  entry: string | WorkloadEntry,
  i: number,
  registry: WorkloadRegistry,
  fail: (key: string, message: string) => never,
): WorkloadVariant[] {
  const key = `workloads[${i}]`;
  let name: string;
  let base: Record<string, string> = {};
  let grid: ParamGrid | undefined;
  let label: string | undefined;
  if (typeof entry === 'string') {
    try {
      const spec = registry.parse(entry);
      name = spec.name;
      base = { ...spec.raw };
      label = entry.trim();
    } catch (e) {
      return fail(key, message(e));
    }
  } else {
    name = entry.name;
    grid = entry.params;
    label = entry.label;
  }
  const contribution = registry.get(name);
  if (!contribution)
    fail(typeof entry === 'string' ? key : `${key}.name`, `unknown workload '${name}' (known: ${registry.all().map((c) => c.name).join(', ')})`);
  const takesSeed = 'seed' in contribution!.params;
  const axes = gridAxes(grid);
  const varying = varyingKeys(axes);
  for (const [k] of axes) {
    if (!(k in contribution!.params))
      fail(`${key}.params.${k}`, `workload ${name} has no parameter '${k}' (known: ${Object.keys(contribution!.params).join(', ')})`);
  }
  return gridPoints(axes).map((point, j) => {
    const fixed: Record<string, string> = { ...base };
    for (const [k, v] of point) fixed[k] = raw(v);
    const variantLabel = [label ?? name, suffix(point, varying)].filter((x) => x !== '').join(' ');
    return {
      key: axes.some(([, v]) => v.length > 1) ? `${key} (grid point ${j + 1})` : key,
      name,
      label: variantLabel,
      raw: (seed: number) => (takesSeed && !('seed' in fixed) ? { ...fixed, seed: String(seed) } : fixed),
    };
  });
}

function strategyVariants(
  entry: string | StrategyEntry,
  i: number,
  registry: StrategyRegistry,
  fail: (key: string, message: string) => never,
): StrategyVariant[] {
  const key = `strategies[${i}]`;
  const stack = typeof entry === 'string' ? entry : entry.stack;
  const stackKey = typeof entry === 'string' ? key : `${key}.stack`;
  const parts = splitStack(stack).map((text) => {
    try {
      return parseSpec(text, 'strategy');
    } catch (e) {
      return fail(stackKey, message(e));
    }
  });
  if (parts.length === 0) fail(stackKey, 'empty strategy stack');
  const names = new Set<string>();
  for (const p of parts) {
    if (!registry.get(p.name))
      fail(stackKey, `unknown strategy '${p.name}' (known: ${registry.all().map((c) => c.name).join(', ')})`);
    if (names.has(p.name)) fail(stackKey, `strategy '${p.name}' appears twice`);
    names.add(p.name);
  }

  const params = typeof entry === 'string' ? {} : (entry.params ?? {});
  const axes: Array<[string, readonly ParamScalar[]]> = [];
  for (const [strategyName, grid] of Object.entries(params)) {
    if (!names.has(strategyName)) fail(`${key}.params.${strategyName}`, `'${strategyName}' is not in the stack '${stack}'`);
    const contribution = registry.get(strategyName)!;
    const given = parts.find((p) => p.name === strategyName)!.raw;
    for (const [k, values] of gridAxes(grid)) {
      if (!(k in contribution.params)) {
        const known = Object.keys(contribution.params);
        fail(`${key}.params.${strategyName}.${k}`, `strategy ${strategyName} has no parameter '${k}' (${known.length ? 'known: ' + known.join(', ') : 'it takes none'})`);
      }
      if (k in given) fail(`${key}.params.${strategyName}.${k}`, `also set in the stack '${stack}'`);
      axes.push([`${strategyName}\u0000${k}`, values]);
    }
  }
  const varying = varyingKeys(axes);
  const userLabel = typeof entry === 'string' ? undefined : entry.label;

  return gridPoints(axes).map((point, j) => {
    const resolved: Record<string, Record<string, ParamValue>> = {};
    const specParts: string[] = [];
    const canonicalParts: string[] = [];
    for (const p of parts) {
      const rawParams: Record<string, string> = { ...p.raw };
      for (const [axis, v] of point) {
        const [s, k] = axis.split('\u0000');
        if (s === p.name) rawParams[k] = raw(v);
      }
      let values: Record<string, ParamValue>;
      try {
        values = resolveParams(registry.get(p.name)!.params, rawParams, `strategy ${p.name}`);
      } catch (e) {
        return fail(Object.keys(params).includes(p.name) ? `${key}.params.${p.name}` : stackKey, message(e));
      }
      resolved[p.name] = values;
      const kv = Object.entries(rawParams).map(([k, v]) => `${k}=${v}`);
      specParts.push(kv.length ? `${p.name}:${kv.join(',')}` : p.name);
      canonicalParts.push(canonicalSpec(p.name, values));
    }
    const spec = specParts.join(',');
    const gridSuffix = point
      .filter(([axis]) => varying.has(axis))
      .map(([axis, v]) => `${axis.split('\u0000')[1]}=${raw(v)}`)
      .join(' ');
    const label = userLabel ? [userLabel, gridSuffix].filter((x) => x !== '').join(' ') : spec;
    return {
      key: axes.some(([, v]) => v.length > 1) ? `${key} (grid point ${j + 1})` : key,
      strategy: { label, spec, canonical: canonicalParts.join(','), params: resolved },
    };
  });
}

function uniqueLabels(labels: Array<[string, string]>, what: string, fail: (key: string, message: string) => never): void {
  const seen = new Map<string, string>();
  for (const [key, label] of labels) {
    const other = seen.get(label);
    if (other !== undefined) fail(key, `${what} label '${label}' is also the label of ${other}: give one a distinct label`);
    seen.set(label, key);
  }
}
