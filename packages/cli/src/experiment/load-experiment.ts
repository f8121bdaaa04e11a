import * as path from 'path';
import Ajv, { ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { FILE_LIMITS, fileError, readRegularFile, UsageError } from '@restorelab/core';
import { ExperimentFile, experimentSchema } from './experiment-file';

export interface LoadedExperiment {
  readonly file: string;
  readonly experiment: ExperimentFile;
  /** The experiment's name: its `name`, else the file name without extension. */
  readonly name: string;
}

let validator: ReturnType<Ajv['compile']> | undefined;

function validate(value: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, verbose: true, strict: false }).compile(experimentSchema);
  return validator(value) ? [] : [...(validator.errors ?? [])];
}

/** Reads and checks an experiment file (.json, .yaml or .yml). Every problem is one UsageError line. */
export function loadExperiment(file: string): LoadedExperiment {
  let text: string;
  try {
    text = readRegularFile(file, FILE_LIMITS.experiment).toString('utf8');
  } catch (e) {
    throw new UsageError(`cannot read experiment ${file}: ${fileError(e)}`);
  }
  const experiment = parseExperiment(text, file);
  const name = experiment.name ?? path.basename(file).replace(/\.(json|ya?ml)$/i, '');
  return { file, experiment, name };
}

/** Parses and checks an experiment held in memory; `file` names it in messages and picks the syntax. */
export function parseExperiment(text: string, file: string): ExperimentFile {
  const value = parseText(text, file);
  const errors = validate(value);
  if (errors.length > 0) throw new UsageError(`experiment ${file}: ${describeErrors(errors)}`);
  return value as ExperimentFile;
}

function parseText(text: string, file: string): unknown {
  if (/\.ya?ml$/i.test(file)) {
    try {
      return parseYaml(text, { prettyErrors: true });
    } catch (e) {
      throw new UsageError(`experiment ${file} is not valid YAML: ${firstLine(e)}`);
    }
  }
  if (!/\.json$/i.test(file)) throw new UsageError(`experiment ${file}: expected a .json, .yaml or .yml file`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`experiment ${file} is not valid JSON: ${firstLine(e)}`);
  }
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n').find((l) => l.trim() !== '') ?? m;
}

/** `/strategies/1/params/neighbor-prefetch` → `strategies[1].params.neighbor-prefetch`. */
export function keyPath(pointer: string): string {
  if (pointer === '') return '(top level)';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

function depth(e: ErrorObject): number {
  return e.instancePath === '' ? 0 : e.instancePath.split('/').length;
}

function rank(e: ErrorObject): number {
  if (e.keyword === 'type') return 2;
  if (e.keyword === 'anyOf') return 1;
  return 0;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  object: 'an object',
  array: 'a list',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
};

function typeWords(t: unknown): string[] {
  const list = Array.isArray(t) ? t : [t];
  return list.map((x) => TYPE_WORDS[String(x)] ?? String(x));
}

function got(data: unknown): string {
  if (data === null) return 'null';
  if (Array.isArray(data)) return 'a list';
  if (typeof data === 'object') return 'an object';
  if (typeof data === 'string') return `'${data}'`;
  return String(data);
}

function joinOr(words: string[]): string {
  const uniq = [...new Set(words)];
  if (uniq.length <= 1) return uniq[0] ?? '';
  return `${uniq.slice(0, -1).join(', ')} or ${uniq[uniq.length - 1]}`;
}

const PATTERN_WORDS: Readonly<Record<string, string>> = {
  '^[a-z][a-z0-9-]*$': 'a name of lowercase letters, digits and dashes',
  '^[A-Za-z0-9][A-Za-z0-9._-]*$': 'letters, digits, dots, dashes and underscores',
  '^[A-Za-z][A-Za-z0-9_]*$': 'a parameter name (letters, digits, underscores)',
};

/** The most specific error, as `key.path: what was expected`. */
export function describeErrors(errors: readonly ErrorObject[]): string {
  const sorted = [...errors].sort((x, y) => depth(y) - depth(x) || rank(x) - rank(y));
  const e = sorted[0];
  const where = keyPath(e.instancePath);
  switch (e.keyword) {
    case 'anyOf':
    case 'type': {
      const sameSpot = errors.filter((x) => x.instancePath === e.instancePath && x.keyword === 'type');
      const expected = joinOr(sameSpot.flatMap((x) => typeWords(x.params.type)));
      const alternatives = e.keyword === 'anyOf' && /items\/anyOf$|additionalProperties\/anyOf$/.test(e.schemaPath);
      const gridValue = sameSpot.some((x) => x.params.type === 'array') && sameSpot.length > 1;
      const what = gridValue ? 'a number, a string, true/false or a list of them' : expected || (alternatives ? 'another form' : 'another type');
      return `${where}: expected ${what}, got ${got(e.data)}`;
    }
    case 'required':
      return `${where}: missing key '${String(e.params.missingProperty)}'`;
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const at = e.instancePath === '' ? key : `${where}.${key}`;
      return `${at}: unknown key (expected ${known.join(', ')})`;
    }
    case 'minItems':
      return `${where}: expected at least ${String(e.params.limit)} ${Number(e.params.limit) === 1 ? 'entry' : 'entries'}`;
    case 'uniqueItems':
      return `${where}: entries ${Math.min(Number(e.params.i), Number(e.params.j))} and ${Math.max(Number(e.params.i), Number(e.params.j))} are the same`;
    case 'minimum':
    case 'maximum':
      return `${where}: expected a number ${String(e.params.comparison)} ${String(e.params.limit)}, got ${got(e.data)}`;
    case 'minLength':
      return `${where}: expected a non-empty string`;
    case 'pattern':
      if (e.propertyName !== undefined) return `${where}: bad parameter name '${e.propertyName}' (expected letters, digits and underscores)`;
      return `${where}: expected ${PATTERN_WORDS[String(e.params.pattern)] ?? `a match for ${String(e.params.pattern)}`}, got ${got(e.data)}`;
    case 'propertyNames':
      return `${where}: bad parameter name '${String(e.params.propertyName)}'`;
    case 'enum':
      return `${where}: expected one of ${(e.params.allowedValues as readonly unknown[]).map(String).join(', ')}, got ${got(e.data)}`;
    default:
      return `${where}: ${e.message ?? 'invalid'}`;
  }
}
