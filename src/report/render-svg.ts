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
