import { UsageError } from '../errors/usage-error';
import { ParamSchema, ParamValue } from './param-schema';

export interface ParsedSpec {
  readonly name: string;
  readonly raw: Readonly<Record<string, string>>;
  readonly text: string;
}

/** The NAME of `NAME:key=value,...` (checked). */
export function specName(text: string, what: string): string {
  const t = text.trim();
  const colon = t.indexOf(':');
  const name = (colon < 0 ? t : t.slice(0, colon)).trim();
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new UsageError(`bad ${what} '${text}': expected NAME or NAME:key=value,...`);
  return name;
}

/**
 * `name:key=value,key=value` (workloads) or one element of a strategy stack. With `positional`, a
 * first element without `=` is the value of that parameter (`image:runs/img` is `image:dir=runs/img`).
 */
export function parseSpec(text: string, what: string, positional?: string): ParsedSpec {
  const t = text.trim();
  const colon = t.indexOf(':');
  const name = specName(t, what);
  const raw: Record<string, string> = {};
  if (colon >= 0) {
    const parts = t.slice(colon + 1).split(positional ? ',' : /[,:]/);
    if (positional && parts.length > 0 && !parts[0].includes('=') && parts[0].trim() !== '') parts[0] = `${positional}=${parts[0]}`;
    for (const spaced of parts) {
      const part = spaced.trim();
      if (part === '') continue;
      const eq = part.indexOf('=');
      if (eq <= 0) throw new UsageError(`bad ${what} parameter '${spaced}' in '${text}': expected key=value`);
      const k = part.slice(0, eq).trim();
      if (k in raw) throw new UsageError(`${what} parameter '${k}' given twice in '${text}'`);
      // spaces around a comma separate; after '=' they are part of the value, which is read as given
      raw[k] = part.slice(eq + 1);
    }
  }
  return { name, raw, text: t };
}

/**
 * A strategy stack: `thp-guard,neighbor-prefetch:window=16,direction=both`. A comma starts a new
 * strategy unless what follows is a key=value of the current one.
 */
export function splitStack(text: string): string[] {
  const out: string[] = [];
  const pieces = text.split(',');
  for (const piece of pieces) {
    const p = piece.trim();
    if (p === '') {
      if (pieces.length === 1) continue;
      throw new UsageError(`strategy stack '${text}' has an empty element (a comma too many?)`);
    }
    if (out.length > 0 && /^[A-Za-z][A-Za-z0-9_]*=/.test(p) && out[out.length - 1].includes(':')) out[out.length - 1] += ',' + p;
    else out.push(p);
  }
  return out;
}

/** Plain decimal only: no hex, binary, exponent, sign or spaces (`0x10`, `0b11`, `1e3`, `+5`, ` 5 `). */
const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;
/** Decimal with an optional fraction and exponent (`0.25`, `1e-7`). */
const NUMBER_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;

/** Typed, validated parameters with defaults; errors name the parameter. */
export function resolveParams(schema: ParamSchema, raw: Readonly<Record<string, string>>, owner: string): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const k of Object.keys(raw)) {
    if (!(k in schema)) {
      const known = Object.keys(schema);
      throw new UsageError(`${owner}: unknown parameter '${k}' (${known.length ? 'known: ' + known.join(', ') : 'it takes none'})`);
    }
  }
  for (const [k, spec] of Object.entries(schema)) {
    const v = raw[k];
    if (v === undefined) {
      out[k] = spec.default;
      continue;
    }
    let value: ParamValue;
    switch (spec.type) {
      case 'integer':
      case 'number': {
        const n = Number(v);
        if (!(spec.type === 'integer' ? INTEGER_TEXT : NUMBER_TEXT).test(v) || !Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n)))
          throw new UsageError(`${owner}: parameter '${k}' must be ${spec.type === 'integer' ? 'an integer' : 'a number'}, got '${v}'`);
        if (spec.minimum !== undefined && n < spec.minimum) throw new UsageError(`${owner}: parameter '${k}' must be >= ${spec.minimum}, got ${v}`);
        if (spec.maximum !== undefined && n > spec.maximum) throw new UsageError(`${owner}: parameter '${k}' must be <= ${spec.maximum}, got ${v}`);
        value = n;
        break;
      }
      case 'boolean':
        if (v !== 'true' && v !== 'false' && v !== '1' && v !== '0')
          throw new UsageError(`${owner}: parameter '${k}' must be true or false, got '${v}'`);
        value = v === 'true' || v === '1';
        break;
      default:
        if (spec.enum && !spec.enum.includes(v))
          throw new UsageError(`${owner}: parameter '${k}' must be one of ${spec.enum.join(', ')}, got '${v}'`);
        value = v;
    }
    out[k] = value;
  }
  return out;
}
