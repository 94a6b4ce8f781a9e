/**
 * The XBM paper's figures on our regimes as one sweep plan (scripts/paper-figures.ts):
 * - R@1 against batch size (16 ... 256), with and without XBM, for each of the three losses
 *   (the paper's Fig. 1 left and its loss table);
 * - R@1 against memory size at one batch size (Fig. 1 right);
 * - drift curves at several gaps from one run with dense snapshots (Fig. 3);
 * - the shuffle sampler against P x K at that batch size, with and without XBM (the paper's sampler claim);
 * every point once per seed (three by default: a claim rests on a mean and its spread, not one run).
 * A grid is a cartesian product; these figures are a union of three small grids, so the plan
 * lists its points explicitly. Every point is a run folder trained by `xbm-drift sweep --point`,
 * and sweep.json holds each point's exact train arguments, as for any planned sweep.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { PaperFigure } from '../report/paper-page.js';
import { folderKind } from '../io/folder-kind.js';
import { reportMessages } from '../messages/report.js';
import { stableStringify } from '../io/json-values.js';
import { readSweepFile, sweepPaths, writeSweepFile, writeSweepPlan, type GridAxis, type GridPoint, type SweepFile } from '../io/formats/sweep-file.js';
import { pointName } from './grid.js';
import { pointArgs } from './point-args.js';
import type { TrainArgsCheck } from './run-sweep.js';

export const PAPER_LOSSES = ['contrastive', 'triplet', 'multi-similarity'] as const;
export const PAPER_BATCHES = [16, 32, 64, 128, 256] as const;

export interface PaperBudget {
  iterations: number;
  /** Memory of the batch figure's XBM points: mnist2's training split (50 classes x 60), the paper's M = train set. */
  memory: number;
  /** Memory sizes of the memory figure (the budget's `memory` is taken from the batch figure's point). */
  memories: number[];
  /** Batch size and loss of the memory figure and of the drift run. */
  batch: number;
  loss: (typeof PAPER_LOSSES)[number];
  /** Snapshots of the drift run: every N iterations, with companions at these offsets (small gaps). */
  snapshotEvery: number;
  snapshotOffsets: number[];
  /** Evaluations per run: 0 = once, at the end (what R@1 figures need). */
  evalEvery: number;
}

export const PAPER_BUDGETS: Record<'small' | 'paper', PaperBudget> = {
  // A quick local look: 37 points of 300 iterations a seed.
  small: { iterations: 300, memory: 3000, memories: [256, 512, 1024, 2048], batch: 64, loss: 'contrastive', snapshotEvery: 20, snapshotOffsets: [1, 5], evalEvery: 0 },
  paper: { iterations: 2000, memory: 3000, memories: [256, 512, 1024, 2048], batch: 64, loss: 'contrastive', snapshotEvery: 50, snapshotOffsets: [1, 10], evalEvery: 0 },
};
export type PaperBudgetName = keyof typeof PAPER_BUDGETS;

export type { PaperFigure };

/** Seeds of a plan unless told: three, the fewest a mean and its spread rest on (docs/studies.md). */
export const PAPER_SEEDS = 3;

export interface PaperPoint extends GridPoint {
  figure: PaperFigure;
}

export interface PaperPlan {
  budget: PaperBudgetName;
  iterations: number;
  /** XBM's fixed start: half-way, as in the lab's runs (a warm-up of plain training first). */
  start: number;
  trainFlags: string[];
  points: PaperPoint[];
}

/**
 * Batches of more than 32 classes x 4 would take more classes than mnist2's training split has
 * (50): from 256 on, 8 images per class.
 */
export const perClassFor = (batch: number) => Math.max(4, batch / 32);

export function paperPlan(budget: PaperBudgetName, o: { iterations?: number; seeds?: number; extraFlags?: readonly string[] } = {}): PaperPlan {
  const b = PAPER_BUDGETS[budget];
  const iterations = o.iterations ?? b.iterations;
  const start = Math.floor(iterations / 2);
  const sizing = (batch: number): Record<string, string> => (perClassFor(batch) !== 4 ? { 'per-class': String(perClassFor(batch)) } : {});
  // One seed's points; seed-major order, so a plan cut short still has whole seeds.
  const seedPoints = (seed: string): PaperPoint[] => {
    const point = (figure: PaperFigure, v: Record<string, string>): PaperPoint => {
      const values = { ...v, seed };
      return { figure, name: pointName(values), values };
    };
    const points: PaperPoint[] = [];
    for (const loss of PAPER_LOSSES)
      for (const batch of PAPER_BATCHES)
        for (const xbm of ['off', 'on']) points.push(point('batch', { loss, batch: String(batch), xbm, ...sizing(batch) }));
    // The budget's own memory size is the batch figure's point at this loss and batch.
    for (const memory of b.memories.filter((m) => m !== b.memory)) points.push(point('memory', { loss: b.loss, batch: String(b.batch), xbm: 'on', memory: String(memory), ...sizing(b.batch) }));
    // P x K is the batch figure's point at this loss and batch; the shuffle sampler is the same point with random batches.
    for (const xbm of ['off', 'on']) points.push(point('sampler', { loss: b.loss, batch: String(b.batch), xbm, ...sizing(b.batch), sampler: 'shuffle' }));
    points.push(
      point('drift', {
        loss: b.loss, batch: String(b.batch), xbm: 'on', ...sizing(b.batch),
        'snapshot-every': String(b.snapshotEvery), 'snapshot-offsets': b.snapshotOffsets.join(','),
      }),
    );
    return points;
  };
  const points = Array.from({ length: o.seeds ?? PAPER_SEEDS }, (_, i) => seedPoints(String(i + 1))).flat();
  const trainFlags = [
    '--xbm-size', String(b.memory), '--xbm-start', String(start), '--eval-every', String(b.evalEvery),
    // Snapshots only where a figure reads them (the drift run sets its own).
    '--snapshot-every', '0',
    ...(o.extraFlags ?? []),
  ];
  return { budget, iterations, start, trainFlags, points };
}

/** The plan's keys and their values, in first-seen order: sweep.json's grid and sweep.csv's columns. */
export function planAxes(points: readonly GridPoint[]): GridAxis[] {
  const axes = new Map<string, string[]>();
  for (const p of points)
    for (const [k, v] of Object.entries(p.values)) {
      const values = axes.get(k) ?? [];
      if (!values.includes(v)) values.push(v);
      axes.set(k, values);
    }
  return [...axes].map(([key, values]) => ({ key, values }));
}

/**
 * Check every point with the train verb's own checks (nothing is written when one would fail),
 * then write sweep.json and plan.tsv. A folder holding another sweep is refused.
 */
export function writePaperPlan(dir: string, plan: PaperPlan, check?: TrainArgsCheck, now = new Date()): SweepFile {
  const kind = folderKind(dir);
  if (kind === 'run') throw new UserError(reportMessages.outIsRun(dir));
  if (kind === 'other' && readdirSync(dir).length > 0) throw new UserError(reportMessages.outNotSweep(dir));
  const paths = sweepPaths(dir);
  const points = plan.points.map((p) => ({
    name: p.name,
    values: p.values,
    args: pointArgs(p.values, { trainFlags: plan.trainFlags, iterations: plan.iterations, runDir: paths.point(p.name), overwrite: false }),
  }));
  if (check)
    for (const p of points) {
      try {
        check.check(p.args);
      } catch (e) {
        throw new UserError(reportMessages.badPoint(p.name, (e as Error).message));
      }
    }
  // Rerunning the same plan resumes it; another plan would mix runs trained with other arguments.
  const previous = readSweepFile(dir);
  const identity = (s: Pick<SweepFile, 'points' | 'trainFlags' | 'iterations'>) =>
    stableStringify({ points: s.points.map((p) => [p.name, p.values]), trainFlags: s.trainFlags, iterations: s.iterations });
  if (previous && identity(previous) !== identity({ points, trainFlags: plan.trainFlags, iterations: plan.iterations })) {
    throw new UserError(reportMessages.sweepMismatch(dir));
  }
  const sweep: SweepFile = {
    schemaVersion: 1, grid: planAxes(plan.points), iterations: plan.iterations, trainFlags: plan.trainFlags, points,
    createdAt: previous?.createdAt || now.toISOString(),
  };
  mkdirSync(dir, { recursive: true });
  writeSweepFile(dir, sweep);
  writeSweepPlan(dir, sweep);
  return sweep;
}
