import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeCsv } from '../io/csv.js';
import { UserError } from '../errors.js';
import { reportMessages } from '../messages/report.js';
import { buildFigures, figureContext } from './build-report.js';
import { reportHtml } from './html.js';
import { fitToWidth, specToSvg, svgToPng } from './render-svg.js';
import { getTheme, type Theme } from './theme.js';
import type { Figure, Report, ThemeName } from './types.js';

export interface RenderOptions {
  theme?: ThemeName;
}

export interface RenderedFigure {
  id: string;
  svg: string;
  png: string;
  vl: string;
  csv: string;
}

export interface RenderResult {
  outDir: string;
  index: string;
  figures: RenderedFigure[];
  /** Vega-Lite and Vega warnings, prefixed by figure id (a correct report has none). */
  warnings: string[];
}

/** Marks a folder as a report, so a rerun may replace it and nothing else gets replaced. */
const MARKER = 'report.json';

/** What a report folder holds: anything else in it is someone else's, and the folder is not replaced. */
const REPORT_ENTRIES = new Set([MARKER, 'index.html', 'figures']);
const FIGURE_FILE = /\.(svg|png|vl\.json|csv)$/;

/**
 * A folder the report may replace: absent, empty, or a previous report holding only what a report
 * writes (the marker alone is not enough: a user's notes beside it would be deleted with it).
 */
export function assertReplaceable(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UserError(reportMessages.outIsFile(dir));
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  const figures = join(dir, 'figures');
  const onlyReport =
    entries.includes(MARKER) &&
    entries.every((e) => REPORT_ENTRIES.has(e)) &&
    (!existsSync(figures) || (statSync(figures).isDirectory() && readdirSync(figures).every((f) => FIGURE_FILE.test(f))));
  if (!onlyReport) throw new UserError(reportMessages.outNotReport(dir));
}

/**
 * Write index.html, report.json and figures/<id>.svg|.png|.vl.json|.csv. Everything is written to
 * a sibling folder first and swapped in at the end, so an error never leaves half a report over
 * an old good one. With another theme than the report was built with, the figures are rebuilt
 * from the report's tables (specs are pure functions of tables and theme).
 */
export async function renderReport(report: Report, outDir: string, opts: RenderOptions = {}): Promise<RenderResult> {
  const theme = getTheme(opts.theme ?? report.theme);
  const ctx = figureContext(report.runs, { theme: theme.name, smooth: report.smooth });
  const built = theme.name === report.theme ? { figures: report.figures, skipped: report.skipped } : buildFigures({ runs: report.runs, sweeps: report.sweeps }, ctx);
  // Copied: fitting the paper widths replaces specs, and the caller's report stays as it was.
  const figures = [...built.figures];
  const skipped = built.skipped;
  assertReplaceable(outDir);

  const out = resolve(outDir);
  const stage = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'figures'), { recursive: true });
  const warnings: string[] = [];
  const rendered: RenderedFigure[] = [];
  try {
    for (let i = 0; i < figures.length; i++) {
      const r = await writeFigure(figures[i], join(stage, 'figures'), theme);
      figures[i] = r.figure;
      warnings.push(...r.warnings.map((w) => `${r.figure.id}: ${w}`));
      rendered.push(r.files);
    }
    const runColors = Object.fromEntries(ctx.runDomain.map((k, i) => [k, theme.palette[i % theme.palette.length]]));
    writeFileSync(join(stage, 'index.html'), reportHtml({ title: reportTitle(report), summary: report.summary, figures, skipped, theme, runColors }));
    writeFileSync(
      join(stage, MARKER),
      JSON.stringify(
        {
          kind: 'xbm-drift-report',
          theme: theme.name,
          summary: report.summary,
          figures: figures.map((f) => ({ id: f.id, title: f.title, span: f.span, rows: f.data.length, notes: f.notes, warnings: f.warnings })),
          skipped,
        },
        (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
        2,
      ) + '\n',
    );
    swapIn(stage, out);
  } catch (e) {
    rmSync(stage, { recursive: true, force: true });
    throw e;
  }
  const rel = (p: string) => join(out, 'figures', basename(p));
  return {
    outDir: out,
    index: join(out, 'index.html'),
    figures: rendered.map((r) => ({ id: r.id, svg: rel(r.svg), png: rel(r.png), vl: rel(r.vl), csv: rel(r.csv) })),
    warnings,
  };
}

function reportTitle(report: Report): string {
  const names = report.inputs.map((d) => basename(resolve(d)));
  return `xbm-drift report: ${names.length <= 4 ? names.join(' vs ') : `${names.length} inputs`}`;
}

/** Replace `out` by `stage` with two renames; the old report is removed only once the new one is in place. */
function swapIn(stage: string, out: string): void {
  const old = `${join(dirname(out), `.${basename(out)}.old-${process.pid}`)}`;
  mkdirSync(dirname(out), { recursive: true });
  if (existsSync(out)) renameSync(out, old);
  try {
    renameSync(stage, out);
  } catch (e) {
    if (existsSync(old)) renameSync(old, out);
    throw e;
  }
  rmSync(old, { recursive: true, force: true });
}

/**
 * Render one figure. The paper theme fits the figure to its column width (the written spec is the
 * fitted one, so the HTML, the SVG and the .vl.json agree); on screen the estimate is enough.
 */
async function writeFigure(fig: Figure, dir: string, theme: Theme): Promise<{ figure: Figure; files: RenderedFigure; warnings: string[] }> {
  const fitted = theme.name === 'paper' ? await fitToWidth(fig.spec, theme.widths[fig.span]) : { ...(await specToSvg(fig.spec)), spec: fig.spec };
  const f: Figure = { ...fig, spec: fitted.spec };
  const { svg, warnings } = fitted;
  const files = { id: f.id, svg: join(dir, `${f.id}.svg`), png: join(dir, `${f.id}.png`), vl: join(dir, `${f.id}.vl.json`), csv: join(dir, `${f.id}.csv`) };
  writeFileSync(files.svg, svg);
  writeFileSync(files.png, svgToPng(svg, theme.pngScale));
  // The spec carries its data (datasets), so the file opens as is in the Vega editor.
  writeFileSync(files.vl, JSON.stringify(f.spec, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  await writeCsv(files.csv, f.columns, f.data);
  return { figure: f, files, warnings };
}
