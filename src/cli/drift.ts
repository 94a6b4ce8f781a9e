import { existsSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { assertSomeGapPossible, computeDrift, defaultGaps, type DriftResult } from '../analysis/drift.js';
import { writeDriftOutputs } from '../analysis/drift-output.js';
import {
  computeNeighbourChurn, DEFAULT_NEIGHBOUR_LIMIT, type NeighbourChurnResult, type NeighbourMetric,
} from '../analysis/neighbour-churn.js';
import { UserError } from '../errors.js';
import { SnapshotReader } from '../io/snapshot-reader.js';
import { driftMessages } from '../messages/drift.js';
import { runPaths } from '../io/run-paths.js';
import { writingIn } from './fs-errors.js';
import { outputOf, type CliOutput } from './output.js';
import { VERBS } from './verbs.js';

interface DriftArgs {
  run: string;
  gaps?: string;
  byClass: boolean;
  neighbours: boolean;
  neighbourMetric: NeighbourMetric;
  neighbourLimit: number;
  output?: CliOutput;
}

export const driftCommand: CommandModule<object, DriftArgs> = {
  command: VERBS.drift.usage,
  describe: VERBS.drift.describe,
  builder: (y: Argv<object>) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'run folder (runs/<name>)' })
      .option('gaps', { type: 'string', describe: 'comma-separated gaps dt in iterations, e.g. 10,100,1000 (default: 1, 10, 100, ... where snapshots allow, and the smallest spacing)' })
      .option('by-class', { type: 'boolean', default: false, describe: 'also write analysis/drift-by-class.csv' })
      .option('neighbours', { type: 'boolean', default: false, describe: 'also write analysis/neighbour-churn.csv (O(n^2 d) per snapshot)' })
      .option('neighbour-metric', { choices: ['cosine', 'euclidean'] as const, default: 'cosine' as NeighbourMetric, describe: 'distance for --neighbours' })
      .option('neighbour-limit', { type: 'number', default: DEFAULT_NEIGHBOUR_LIMIT, describe: 'probe samples searched by --neighbours' }) as unknown as Argv<DriftArgs>,
  handler: async (args) => {
    await runDrift(args, outputOf(args));
  },
};

/**
 * Parse "10,100,1000" into gaps; a UserError names the flag on anything else. A gap is a positive
 * whole number: gap 0 compares a snapshot with itself (always 0, no rows worth writing).
 */
export function parseGaps(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) === 0)) throw new UserError(driftMessages.badGapList(text));
  return parts.map(Number);
}

/** A file where a run folder belongs: say so, name its run when it is a snapshot, point to inspect. */
function refuseFile(path: string): void {
  if (!existsSync(path) || statSync(path).isDirectory()) return;
  const parent = dirname(path);
  const run = basename(parent) === 'snapshots' || basename(parent) === 'batches' ? dirname(parent) : null;
  throw new UserError(driftMessages.fileNotRun(path, run));
}

async function runDrift(args: DriftArgs, io: CliOutput): Promise<void> {
  const limit = args.neighbourLimit;
  if (args.neighbours && (!Number.isInteger(limit) || limit < 2)) throw new UserError(driftMessages.badNeighbourLimit(limit));
  const gaps = args.gaps !== undefined ? parseGaps(args.gaps) : null;
  refuseFile(args.run);
  const reader = SnapshotReader.open(args.run);
  const chosen = gaps ?? defaultGaps(reader.iterations());
  assertSomeGapPossible(args.run, reader.iterations(), chosen);
  const drift = computeDrift(reader, chosen, { byClass: args.byClass });
  for (const w of drift.warnings) io.err(w);
  let churn: NeighbourChurnResult | undefined;
  if (args.neighbours) {
    churn = computeNeighbourChurn(reader, chosen, { metric: args.neighbourMetric, limit });
    if (churn.n < churn.probeSize) io.err(driftMessages.neighbourLimited(churn.n, churn.probeSize));
  }
  const written = await writingIn(runPaths(args.run).analysis, () => writeDriftOutputs(args.run, drift, churn));
  for (const line of driftTable(drift, chosen)) io.out(line);
  io.out('');
  for (const p of written) io.out(`wrote ${p}`);
}

/** Per gap: how many t, the first and last t, and the mean drift there. */
export function driftTable(drift: DriftResult, gaps: readonly number[]): string[] {
  const header = ['gap', 't values', 'first t', 'last t', 'D(first t)', 'D(last t)'];
  const body: string[][] = [];
  for (const g of [...new Set(gaps)].sort((a, b) => a - b)) {
    const rows = drift.rows.filter((r) => r.gap === g);
    if (rows.length === 0) {
      body.push([String(g), '0', '-', '-', '-', '-']);
      continue;
    }
    const first = rows[0];
    const last = rows[rows.length - 1];
    body.push([String(g), String(rows.length), String(first.iteration), String(last.iteration), fmt(first.mean), fmt(last.mean)]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [line(header), ...body.map(line)];
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(4) : v.toExponential(3);
}
