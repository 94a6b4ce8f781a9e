import { UserError } from '../errors.js';
import { reportMessages } from '../messages/report.js';
import type { GridAxis, GridPoint } from '../io/formats/sweep-file.js';

/** Parse `--grid key=v1,v2` specs. Keys keep their order: the first key varies slowest. */
export function parseGrid(specs: readonly string[]): GridAxis[] {
  if (specs.length === 0) throw new UserError(reportMessages.noGrid);
  const axes: GridAxis[] = [];
  for (const spec of specs) {
    const m = /^\s*([A-Za-z][\w-]*)\s*=(.+)$/.exec(spec);
    const values = m ? m[2].split(',').map((v) => v.trim()) : [];
    if (!m || values.length === 0 || values.some((v) => v === '')) throw new UserError(reportMessages.badGrid(spec));
    const key = m[1];
    if (axes.some((a) => a.key === key)) throw new UserError(reportMessages.duplicateGridKey(key));
    axes.push({ key, values: [...new Set(values)] });
  }
  return axes;
}

/** The cartesian product of the axes, named `key-value_key-value` (safe as a folder name). */
export function expandGrid(axes: readonly GridAxis[]): GridPoint[] {
  let points: Record<string, string>[] = [{}];
  for (const a of axes) points = points.flatMap((p) => a.values.map((v) => ({ ...p, [a.key]: v })));
  return points.map((values) => ({ name: pointName(values), values }));
}

export function pointName(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}-${v.replace(/[^A-Za-z0-9.+-]+/g, '-')}`)
    .join('_');
}

/** The number of points of a grid, without expanding it (a huge grid is refused before it is built). */
export function gridSize(axes: readonly GridAxis[]): number {
  return axes.reduce((n, a) => n * a.values.length, 1);
}

/** `lr 3 x seed 2`: the values per key, for messages. */
export function describeGrid(axes: readonly GridAxis[]): string {
  return axes.map((a) => `${a.key} ${a.values.length}`).join(' x ');
}
