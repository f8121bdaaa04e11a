import { ParamGrid, ParamScalar } from './experiment-file';

/** One point of a grid: key → value, keys in the grid's order. */
export type GridPoint = ReadonlyArray<readonly [string, ParamScalar]>;

/** The axes of a grid: every key with its values (a scalar is an axis of one value). */
export function gridAxes(grid: ParamGrid | undefined): Array<[string, readonly ParamScalar[]]> {
  if (!grid) return [];
  return Object.entries(grid).map(([k, v]) => [k, Array.isArray(v) ? (v as readonly ParamScalar[]) : [v as ParamScalar]]);
}

/** Cartesian product of the axes, the last axis varying fastest. No axes: one empty point. */
export function gridPoints(axes: ReadonlyArray<readonly [string, readonly ParamScalar[]]>): GridPoint[] {
  let points: Array<Array<readonly [string, ParamScalar]>> = [[]];
  for (const [key, values] of axes) {
    const next: Array<Array<readonly [string, ParamScalar]>> = [];
    for (const p of points) for (const v of values) next.push([...p, [key, v]]);
    points = next;
  }
  return points;
}

/** Keys of the axes with more than one value: what tells the points of a grid apart. */
export function varyingKeys(axes: ReadonlyArray<readonly [string, readonly ParamScalar[]]>): Set<string> {
  return new Set(axes.filter(([, v]) => v.length > 1).map(([k]) => k));
}
