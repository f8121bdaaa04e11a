import { ParamSchema, ParamSpec, ParamValue } from '@restorelab/core';
import { renderTable } from './table';

export interface ParamInfo {
  name: string;
  type: ParamSpec['type'];
  default: ParamValue;
  description: string;
  minimum?: number;
  maximum?: number;
  enum?: string[];
}

/** A parameter schema as a list, in declaration order, for JSON output. */
export function paramList(schema: ParamSchema): ParamInfo[] {
  return Object.entries(schema).map(([name, p]) => {
    const info: ParamInfo = { name, type: p.type, default: p.default, description: p.description };
    if (p.minimum !== undefined) info.minimum = p.minimum;
    if (p.maximum !== undefined) info.maximum = p.maximum;
    if (p.enum) info.enum = [...p.enum];
    return info;
  });
}

/** `1..512`, `>= 0`, `<= 9`, `a|b|c`, or '' when unconstrained. */
export function paramRange(p: ParamInfo): string {
  if (p.enum) return p.enum.join('|');
  if (p.minimum !== undefined && p.maximum !== undefined) return `${p.minimum}..${p.maximum}`;
  if (p.minimum !== undefined) return `>= ${p.minimum}`;
  if (p.maximum !== undefined) return `<= ${p.maximum}`;
  return '';
}

export interface Described {
  readonly name: string;
  readonly description: string;
  readonly params: ParamSchema;
  /** Extra words after the name, e.g. `deterministic`. */
  readonly tags?: readonly string[];
}

/** A readable listing: name (tags), description, then an indented parameter table. */
export function renderListing(items: readonly Described[]): string {
  const blocks = items.map((it) => {
    const head = it.tags && it.tags.length ? `${it.name}  (${it.tags.join(', ')})` : it.name;
    const lines = [head, `  ${it.description}`];
    const params = paramList(it.params);
    if (params.length === 0) lines.push('  no parameters');
    else {
      const table = renderTable(
        [
          { header: 'parameter', align: 'left' },
          { header: 'type', align: 'left' },
          { header: 'default', align: 'right' },
          { header: 'range', align: 'left' },
          { header: 'description', align: 'left' },
        ],
        params.map((p) => [p.name, p.type, String(p.default), paramRange(p), p.description]),
      );
      lines.push(...table.split('\n').map((l) => `  ${l}`));
    }
    return lines.join('\n');
  });
  return blocks.join('\n\n');
}
