import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { reportMessages } from '../messages/report.js';
import { buildReport } from '../report/build-report.js';
import { folderKind } from '../io/folder-kind.js';
import { driftForReport } from '../pipeline/analyse-run.js';
import { consoleOutput } from './output.js';
import { assertReplaceable, renderReport, type RenderResult } from '../report/render-report.js';
import { THEME_NAMES } from '../report/theme.js';
import type { Report, ThemeName } from '../report/types.js';
import { VERBS } from './verbs.js';
import { writingIn } from './fs-errors.js';

export interface ReportArgs {
  inputs: string[];
  out?: string;
  theme: ThemeName;
  force: boolean;
  smooth: number;
}

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Where the report goes: --out, else `<run>/report` (or `<sweep>/report`) for a single input. */
export function reportOutDir(inputs: readonly string[], out: string | undefined): string {
  if (out) return out;
  if (inputs.length === 1) return join(inputs[0], 'report');
  throw new UserError(reportMessages.outRequired);
}

/** The report verb without yargs: build, render, then say what was written and what is missing. */
export async function reportMain(a: ReportArgs, io: CliIo = consoleOutput): Promise<{ report: Report; result: RenderResult }> {
  const inputs = a.inputs.map(String);
  for (const dir of inputs) {
    const kind = folderKind(dir);
    if (kind === 'missing') throw new UserError(existsSync(dir) ? reportMessages.inputIsFile(dir) : reportMessages.notFound(dir));
    if (kind === 'other') throw new UserError(reportMessages.notRunOrSweep(dir));
  }
  const out = reportOutDir(inputs, a.out);
  if (!Number.isInteger(a.smooth) || a.smooth < 0) throw new UserError(reportMessages.badSmooth(a.smooth));
  assertReplaceable(out); // before any work, and before the drift below writes into the runs
  // A run without drift gets it first (the drift figures and the start need it), as `drift` would.
  for (const dir of inputs) if (folderKind(dir) === 'run') await writingIn(dir, () => driftForReport(dir, io.err));
  const report = await buildReport(inputs, { theme: a.theme, force: a.force, smooth: a.smooth });
  // A failed write that names no path (a write to an open file) is given the report folder.
  const result = await writingIn(out, () => renderReport(report, out, { theme: a.theme }));
  const lines = reportLines(report, result);
  for (const line of lines.err) io.err(line);
  for (const line of lines.out) io.out(line);
  return { report, result };
}

/** What the report verb says about a rendered report: warnings (stderr), then where it is (stdout). */
export function reportLines(report: Report, result: RenderResult): { out: string[]; err: string[] } {
  const skipped = report.skipped.map((s) => s.id);
  return {
    err: [...report.summary.warnings.map((w) => `warning: ${w}`), ...result.warnings.map((w) => `warning: vega: ${w}`)],
    out: [`report: ${result.index} (${result.figures.length} figures${skipped.length ? `; not drawn: ${skipped.join(', ')}` : ''})`],
  };
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: VERBS.report.usage,
  describe: VERBS.report.describe,
  builder: (y: Argv<object>) =>
    y
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'run folders and/or sweep folders' })
      .option('out', { type: 'string', describe: 'report folder (default: <input>/report for a single input)' })
      .option('theme', { choices: THEME_NAMES, default: 'default' as ThemeName, describe: 'paper: column-width figures, 8 pt fonts, 300 dpi PNGs' })
      .option('force', { type: 'boolean', default: false, describe: 'compare runs of different datasets' })
      .option('smooth', { type: 'number', default: 0, describe: 'moving average window (iterations) for the loss curves' })
      .example('$0 report runs/base runs/xbm --out reports/cmp', 'compare a baseline with an XBM run')
      .example('$0 report sweeps/batch --theme paper', 'R@1 vs batch size, sized for a paper') as unknown as Argv<ReportArgs>,
  handler: async (argv) => {
    await reportMain(argv);
  },
};
