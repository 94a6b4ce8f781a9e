import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface SvgResult {
  svg: string;
  /** Warnings of the Vega-Lite compiler and the Vega runtime (a correct spec has none). */
  warnings: string[];
}

/** A logger for Vega-Lite's compile and Vega's View that collects warnings instead of printing them. */
function collectingLogger(warnings: string[]) {
  let level = 2;
  const logger = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: unknown[]) {
      warnings.push(`error: ${args.map(String).join(' ')}`);
      return logger;
    },
    warn(...args: unknown[]) {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/** Compile a Vega-Lite spec and render it headless to SVG (no canvas needed: text is measured by estimate). */
export async function specToSvg(spec: TopLevelSpec): Promise<SvgResult> {
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const vg = compile(spec, { logger: logger as never }).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none', logger: logger as never, logLevel: vega.Warn });
  try {
    const svg = await view.toSVG();
    return { svg: normaliseSvgIds(svg), warnings };
  } finally {
    view.finalize();
  }
}

/**
 * Vega numbers clip paths and gradients with process-wide counters, so the same figure gets other
 * ids depending on what was drawn before. Renumber them per file: equal figures, equal bytes.
 */
export function normaliseSvgIds(svg: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([A-Za-z_-]+?)(\d+)"/g)) {
    const key = `${m[1]}${m[2]}`;
    if (!ids.has(key)) ids.set(key, `${m[1]}${ids.size + 1}`);
  }
  if (ids.size === 0) return svg;
  return svg.replace(/(\sid="|url\(#|href="#)([A-Za-z_-]+?\d+)(?=[")])/g, (all, pre: string, id: string) =>
    ids.has(id) ? `${pre}${ids.get(id)}` : all,
  );
}

/** Rasterise an SVG to PNG at `scale` pixels per SVG unit, on white, with the system's fonts. */
export function svgToPng(svg: string, scale: number): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** The width attribute of a rendered SVG. */
export function svgWidth(svg: string): number {
  return Number(/^<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1] ?? NaN);
}

/** A copy of the spec with every view width (numeric `width`, outside data and config) times `k`. */
export function scaleWidths(spec: TopLevelSpec, k: number): TopLevelSpec {
  const walk = (x: unknown, key?: string): unknown => {
    if (Array.isArray(x)) return x.map((v) => walk(v));
    if (!x || typeof x !== 'object' || key === 'datasets' || key === 'config' || key === 'data') return x;
    const out: Record<string, unknown> = {};
    for (const [k2, v] of Object.entries(x)) out[k2] = k2 === 'width' && typeof v === 'number' ? Math.max(20, Math.round(v * k)) : walk(v, k2);
    return out;
  };
  return walk(spec) as TopLevelSpec;
}

/**
 * Render a spec at a target total width. Vega-Lite sizes plot areas, and the axes, legends and
 * spacing around them depend on the data, so the panel widths are fitted from two trial renders
 * (total width is linear in the panel widths) and checked by a third.
 */
export async function fitToWidth(spec: TopLevelSpec, target: number, tolerance = 0.02): Promise<SvgResult & { spec: TopLevelSpec }> {
  const first = await specToSvg(spec);
  const t1 = svgWidth(first.svg);
  if (!(Math.abs(t1 - target) > target * tolerance)) return { ...first, spec };
  const k2 = target / t1;
  const spec2 = scaleWidths(spec, k2);
  const second = await specToSvg(spec2);
  const t2 = svgWidth(second.svg);
  const plots = (t1 - t2) / (1 - k2);
  if (!(plots > 0)) return { ...second, spec: spec2 };
  const k = (target - (t1 - plots)) / plots;
  if (!(k > 0.1)) return { ...second, spec: spec2 };
  const spec3 = scaleWidths(spec, k);
  return { ...(await specToSvg(spec3)), spec: spec3 };
}
