import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeCsv } from '../io/csv.js';
import { UserError } from '../errors.js';
import { reportMessages } from '../messages/report.js';
import { buildFigures, figureContext } from './build-report.js';
import { reportHtml } from './html.js';
import { specToSvg, svgToPng } from './render-svg.js';
import { getTheme } from './theme.js';
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

/** A folder the report may replace: absent, empty, or a previous report. */
function assertReplaceable(dir: string): void {
  if (!existsSync(dir)) return;
  const entries = readdirSync(dir);
  if (entries.length === 0 || entries.includes(MARKER)) return;
  throw new UserError(reportMessages.outNotReport(dir));
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
  const { figures, skipped } =
    theme.name === report.theme ? { figures: report.figures, skipped: report.skipped } : buildFigures({ runs: report.runs, sweeps: report.sweeps }, ctx);
  assertReplaceable(outDir);

  const out = resolve(outDir);
  const stage = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'figures'), { recursive: true });
  const warnings: string[] = [];
  const rendered: RenderedFigure[] = [];
  try {
    for (const f of figures) {
      const r = await writeFigure(f, join(stage, 'figures'), theme.pngScale);
      warnings.push(...r.warnings.map((w) => `${f.id}: ${w}`));
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
  const names = report.runs.map((r) => r.key);
  const what = report.sweeps.length ? report.sweeps.map((s) => s.key).join(', ') : names.length <= 3 ? names.join(' vs ') : `${names.length} runs`;
  return `xbm-drift report: ${what}`;
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

async function writeFigure(f: Figure, dir: string, pngScale: number): Promise<{ files: RenderedFigure; warnings: string[] }> {
  const files = { id: f.id, svg: join(dir, `${f.id}.svg`), png: join(dir, `${f.id}.png`), vl: join(dir, `${f.id}.vl.json`), csv: join(dir, `${f.id}.csv`) };
  const { svg, warnings } = await specToSvg(f.spec);
  writeFileSync(files.svg, svg);
  writeFileSync(files.png, svgToPng(svg, pngScale));
  // The spec carries its data (datasets), so the file opens as is in the Vega editor.
  writeFileSync(files.vl, JSON.stringify(f.spec, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  await writeCsv(files.csv, f.columns, f.data);
  return { files, warnings };
}
