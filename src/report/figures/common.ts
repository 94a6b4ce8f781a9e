import type { TopLevelSpec } from 'vega-lite';
import type { Theme } from '../theme.js';
import { chooserTag, runStartFacts, startStory } from '../start-story.js';
import { themeConfig } from '../theme.js';
import type { Figure, FigureId, FigureOutcome, FigureSpan, Row, RunTables } from '../types.js';

/** Everything a figure needs besides the tables. Figures are pure functions of (input, context). */
export interface FigureContext {
  theme: Theme;
  /** Every run key of the report, in order: the fixed colour domain. */
  runDomain: string[];
  /** Trailing moving-average window for noisy per-iteration series, in logged rows; 0 = off. */
  smooth: number;
  /** Most points drawn per series: longer series are thinned evenly (the CSV holds the same rows). */
  maxPoints: number;
}

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

// Specs are assembled as plain objects and checked against the Vega-Lite schema in the tests;
// the deeply nested union types of TopLevelSpec add little here.
export type Spec = Record<string, unknown>;

export function topLevel(ctx: FigureContext, title: string, datasets: Record<string, Row[]>, body: Spec): TopLevelSpec {
  return {
    $schema: VEGA_LITE_SCHEMA,
    // A paper's caption names the figure; the image carries no title of its own.
    ...(ctx.theme.name === 'paper' ? {} : { title }),
    datasets,
    ...body,
    config: themeConfig(ctx.theme),
  } as unknown as TopLevelSpec;
}

export function figure(
  id: FigureId,
  title: string,
  span: FigureSpan,
  data: Row[],
  columns: string[],
  spec: TopLevelSpec,
  notes: string[] = [],
  warnings: string[] = [],
): FigureOutcome {
  const fig: Figure = { id, title, spec, data, columns, span, notes, warnings };
  return { kind: 'figure', figure: fig };
}

export function skipped(id: FigureId, title: string, reason: string): FigureOutcome {
  return { kind: 'skipped', skipped: { id, title, reason } };
}

/**
 * Colour by run with the report's fixed domain, so a run has one colour in every figure. The
 * legend lists only the runs drawn (`present`), in domain order.
 */
export function runColor(ctx: FigureContext, present?: readonly Row[]): Spec {
  const drawn = present ? ctx.runDomain.filter((k) => present.some((r) => r.run === k)) : ctx.runDomain;
  return {
    field: 'run',
    type: 'nominal',
    title: 'run',
    scale: { domain: ctx.runDomain, range: ctx.theme.palette },
    ...(drawn.length < ctx.runDomain.length ? { legend: { values: drawn } } : {}),
  };
}

export const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Largest finite value of a field (a loop: spreading 100k rows into Math.max overflows the stack). */
export function maxOf(rows: readonly Row[], field: string): number {
  let m = -Infinity;
  for (const r of rows) if (finite(r[field]) && (r[field] as number) > m) m = r[field] as number;
  return m;
}

/** Keep at most `max` rows, evenly spaced, always keeping the first and the last. */
export function thin<T>(rows: readonly T[], max: number): T[] {
  if (rows.length <= max || max < 2) return [...rows];
  const step = (rows.length - 1) / (max - 1);
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(rows[Math.round(i * step)]);
  return out;
}

/** Trailing moving average over the last `window` finite values (window <= 1 returns the input). */
export function movingAverage(values: readonly number[], window: number): number[] {
  if (window <= 1) return [...values];
  const out: number[] = [];
  const buf: number[] = [];
  let sum = 0;
  for (const v of values) {
    if (Number.isFinite(v)) {
      buf.push(v);
      sum += v;
      if (buf.length > window) sum -= buf.shift()!;
    }
    out.push(buf.length ? sum / buf.length : NaN);
  }
  return out;
}

export interface Marker extends Row {
  run: string;
  iteration: number;
  /** Lines of the label. */
  label: string[];
  kind: 'start' | 'suggested';
  /** Which side of its rule the label goes, so it stays inside the plot. */
  align: 'left' | 'right';
  /** An actual start is drawn stronger than a suggestion. */
  opacity: number;
  /** Label row, so the labels of several runs (slot) or of one run (runSlot) do not overlap. */
  slot: number;
  runSlot: number;
}

/** Where the labels go: the plot's width in pixels and the last iteration on its x axis. */
export interface MarkerPlacement {
  lastIteration: number;
  width: number;
  fontSize: number;
}

/** A text's width in a typical sans-serif: about 0.55 em per character. */
const textWidth = (lines: readonly string[], fontSize: number) => Math.max(...lines.map((l) => l.length)) * fontSize * 0.55;

/**
 * The XBM start of each run (and a warm-up suggestion when it differs), for rules and labels.
 * A label (two lines: what and which policy) goes right of its rule when it fits, else left of
 * it, else it is shortened to the iteration.
 */
export function startMarkers(runs: readonly RunTables[], place?: MarkerPlacement): Marker[] {
  const out: Marker[] = [];
  const add = (run: string, iteration: number, kind: Marker['kind'], label: string[], short: string[]) => {
    let align: Marker['align'] = 'left';
    if (place && place.lastIteration > 0) {
      const x = (iteration / place.lastIteration) * place.width;
      const fits = (t: string[]) => x + 3 + textWidth(t, place.fontSize) <= place.width;
      const fitsLeft = (t: string[]) => x - 3 - textWidth(t, place.fontSize) >= 0;
      if (!fits(label)) {
        if (fitsLeft(label)) align = 'right';
        else {
          label = short;
          align = fits(short) || !fitsLeft(short) ? 'left' : 'right';
        }
      }
    }
    out.push({ run, iteration, kind, label, align, opacity: kind === 'start' ? 0.9 : 0.5, slot: 0, runSlot: 0 });
  };
  for (const r of runs) {
    const start = r.xbm.start;
    if (finite(start)) add(r.key, start, 'start', [`XBM start ${start}`, `(${chooserTag(startStory(runStartFacts(r)))})`], [`XBM ${start}`]);
    const s = r.suggestion;
    if (s && finite(s.start) && s.start !== start) add(r.key, s.start, 'suggested', [`suggested ${s.start}`, `(${s.policy})`], [`sugg. ${s.start}`]);
  }
  out.forEach((m, i) => {
    m.slot = i;
    m.runSlot = out.slice(0, i).filter((o) => o.run === m.run).length;
  });
  return out;
}

/**
 * Rule + label layers for start markers read from the named dataset `markers`; none when no
 * marker matches (an empty layer has no extent and makes Vega warn).
 */
export function markerLayers(ctx: FigureContext, markers: readonly Marker[], filterRun?: string, colorByRun = true, present?: readonly Row[]): Spec[] {
  if (!markers.some((m) => filterRun === undefined || m.run === filterRun)) return [];
  const f = ctx.theme.fontSize;
  const transform = filterRun === undefined ? [] : [{ filter: { field: 'run', equal: filterRun } }];
  // The same colour definition as the data layers: a `legend: null` here would remove the shared legend.
  const color = colorByRun ? { color: runColor(ctx, present) } : { color: { value: '#444444' } };
  return [
    {
      data: { name: 'markers' },
      transform,
      mark: { type: 'rule', strokeDash: [4, 3] },
      encoding: {
        x: { field: 'iteration', type: 'quantitative' },
        ...color,
        opacity: { field: 'opacity', type: 'quantitative', scale: null, legend: null },
      },
    },
    // Labels in the right part of the plot extend to the left of their rule, so they stay inside.
    ...(['left', 'right'] as const).map((align) => ({
      data: { name: 'markers' },
      transform: [
        ...transform,
        { filter: { field: 'align', equal: align } },
        { calculate: `${Math.round(f * 3)} * datum.${filterRun === undefined ? 'slot' : 'runSlot'} + 2`, as: 'label_y' },
      ],
      mark: { type: 'text', align, baseline: 'top', dx: align === 'left' ? 3 : -3, fontSize: f },
      encoding: {
        x: { field: 'iteration', type: 'quantitative' },
        y: { field: 'label_y', type: 'quantitative', scale: null },
        text: { field: 'label', type: 'nominal' },
        ...color,
      },
    })).filter((_, i) => markers.some((m) => m.align === (i === 0 ? 'left' : 'right') && (filterRun === undefined || m.run === filterRun))),
  ];
}

export const iterationX = (extra: Spec = {}): Spec => ({ field: 'iteration', type: 'quantitative', title: 'iteration', ...extra });
