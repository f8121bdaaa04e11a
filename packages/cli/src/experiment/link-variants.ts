import { formatLink, Link, parseLink } from '@restorelab/core';
import { LinkEntry } from './experiment-file';
import { gridAxes, gridPoints } from './grid';

/** One point of an experiment's link axis: null for a local run. */
export interface PlannedLink {
  readonly label: string;
  /** formatLink: what run --link takes. */
  readonly spec: string;
  readonly link: Link;
}

const asList = <T>(v: T | readonly T[] | undefined, dflt: T): readonly T[] => (v === undefined ? [dflt] : Array.isArray(v) ? (v as readonly T[]) : [v as T]);

/** How many links an entry stands for (nothing expanded). */
export function linkPoints(entry: string | LinkEntry): number {
  if (typeof entry === 'string') return 1;
  return asList(entry.latencyUs, 0).length * asList(entry.bandwidth, 'off').length * asList(entry.channels, 2).length;
}

/** The links of the experiment's links axis, in order; errors name the entry. */
export function linkVariants(entries: readonly (string | LinkEntry)[] | undefined, fail: (key: string, message: string) => never): (PlannedLink | null)[] {
  if (!entries) return [null];
  return entries.flatMap((entry, i) => {
    const key = `links[${i}]`;
    const one = (spec: string, label?: string): PlannedLink | null => {
      if (spec === 'none') return null;
      try {
        const link = parseLink(spec);
        return { label: label ?? spec, spec: formatLink(link), link };
      } catch (e) {
        return fail(key, e instanceof Error ? e.message : String(e));
      }
    };
    if (typeof entry === 'string') return [one(entry.trim())];
    const axes = gridAxes({ 'latency-us': asList(entry.latencyUs, 0), bandwidth: asList(entry.bandwidth, 'off'), channels: asList(entry.channels, 2) });
    const points = gridPoints(axes);
    return points.map((pt) => {
      const spec = pt.map(([k, v]) => `${k}=${String(v)}`).join(',');
      return one(spec, entry.label && points.length === 1 ? entry.label : entry.label ? `${entry.label} ${spec}` : undefined);
    });
  });
}
