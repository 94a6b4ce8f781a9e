import { join } from 'node:path';
import { resolveTrainConfig, type TrainFlags } from '../config/train-config.js';
import { UserError } from '../errors.js';
import { train } from '../train/trainer.js';
import type { RunRecord } from '../io/formats/run-record.js';
import { writeWarmupFile } from '../io/formats/warmup-file.js';
import { STUDY_CHOICE } from '../config/study-choice.js';
import { analyseRun } from '../pipeline/analyse-run.js';
import { readDriftTable } from '../io/formats/drift-table.js';
import { runPaths } from '../io/run-paths.js';
import { scheduledGap } from '../config/snapshot-schedule.js';
import { memorySpan } from '../analysis/warmup/threshold.js';
import { parseWarmupPolicy } from '../analysis/warmup/parse-policy.js';
import { rowAtGap } from '../analysis/warmup/drift-at-gap.js';
import { buildReport } from '../report/build-report.js';
import { renderReport } from '../report/render-report.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { formatDuration } from '../train/progress.js';
import { formatDemoSummary, type DemoRuns } from './summary.js';
import { demoMessages } from '../messages/demo.js';

/**
 * The main job: a baseline run with snapshots, its drift at several gaps, the XBM start decided
 * from that drift by the default policy, the XBM run from that start with the same seed and
 * budget, a report of both (<out>/report) and a summary (<out>/summary.md). Sizes: docs/demo.md.
 */
export interface DemoOptions {
  out: string;
  quick: boolean;
  policy: string;
  overwrite: boolean;
  quiet: boolean;
  /** extra train flags (dataset, backend, ...) applied to both runs */
  flags: Partial<TrainFlags>;
  /** aborting it stops the run in progress (saved, resumable) and runDemo throws DemoInterrupted */
  signal?: AbortSignal;
  log: (line: string) => void;
}

export type { DemoRuns };

/** Everything the demo made: the runs, the report, and the summary it wrote to summary.md. */
export interface DemoResult extends DemoRuns {
  baselineDir: string;
  xbmDir: string;
  reportDir: string;
  /** <out>/report/index.html */
  reportIndex: string;
  /** the Markdown summary, as written to summaryPath */
  summary: string;
  summaryPath: string;
  wallSeconds: number;
}

/**
 * The regime the paper's gains came from, in small: a pretrained trunk (builtin:digits, a digit
 * classifier) fine-tuned at the paper's low learning rate on a many-class, few-shot dataset
 * (mnist3: 1,000 classes of about a dozen images, class-disjoint halves: the shape of SOP).
 * Flags naming a built-in model (--model, --channels, --hidden) train from scratch instead.
 */
export const DEMO_REGIME = { dataset: 'mnist3', backbone: 'builtin:digits', lr: 1e-4 } as const;

/**
 * Budgets: the full demo fits 10 minutes, --quick 2 minutes, on 2 cores with wasm (docs/demo.md).
 * The memory holds the whole training split, the paper's choice (mnist3: 500 classes x 12 = 6,000;
 * quick: 500 x 4 = 2,000); iterations are what the time budget allows. The probe holds two images
 * of each of the 500 training classes, which the scatter policy's within-class scatter W needs.
 */
export const DEMO_SIZES = {
  full: { iterations: 500, evalEvery: 100, snapshotEvery: 25, snapshotOffsets: '5', probeSize: 1000, xbmSize: 6000, gaps: [5, 25, 100, 300] },
  quick: { iterations: 80, evalEvery: 40, snapshotEvery: 10, snapshotOffsets: '2', probeSize: 1000, xbmSize: 2000, imagesPerClass: 4, gaps: [2, 10, 40] },
} as const;

/** The demo stopped by its signal: the interrupted run is saved and resumable; nothing after it ran. */
export class DemoInterrupted extends Error {
  constructor(readonly stage: 'baseline' | 'xbm', readonly runDir: string, readonly record: RunRecord) {
    super(demoMessages.interrupted(stage, runDir));
    this.name = 'DemoInterrupted';
  }
}

/** Throws DemoInterrupted when a run stopped for the signal: the rest would compare half-trained runs. */
function whole(stage: 'baseline' | 'xbm', runDir: string, record: RunRecord, signal: AbortSignal | undefined): RunRecord {
  if (record.status === 'interrupted' || signal?.aborted) throw new DemoInterrupted(stage, runDir, record);
  return record;
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  // The policy decides between the runs: a bad one is refused before the baseline trains.
  parseWarmupPolicy(opts.policy);
  const size = opts.quick ? DEMO_SIZES.quick : DEMO_SIZES.full;
  const fromScratch = opts.flags.model !== undefined || opts.flags.channels !== undefined || opts.flags.hidden !== undefined;
  const common: Omit<TrainFlags, 'out'> = {
    dataset: DEMO_REGIME.dataset,
    lr: DEMO_REGIME.lr,
    ...(fromScratch ? {} : { backbone: DEMO_REGIME.backbone }),
    iterations: size.iterations,
    evalEvery: size.evalEvery,
    snapshotEvery: size.snapshotEvery,
    snapshotOffsets: size.snapshotOffsets,
    probeSize: size.probeSize,
    reducer: STUDY_CHOICE.reducer,
    ...('imagesPerClass' in size ? { imagesPerClass: size.imagesPerClass } : {}),
    // Flags left undefined (a CLI option not given) keep the demo's value.
    ...Object.fromEntries(Object.entries(opts.flags).filter(([, v]) => v !== undefined)),
  };
  const baselineDir = join(opts.out, 'baseline');
  const xbmDir = join(opts.out, 'xbm');

  opts.log(`1/4 baseline without XBM -> ${baselineDir}`);
  const baselineConfig = resolveTrainConfig({ ...common, out: baselineDir });
  const baseline = whole('baseline', baselineDir, await train(baselineConfig, { overwrite: opts.overwrite, quiet: opts.quiet, signal: opts.signal }), opts.signal);

  // The policy reads D(t; S): add the scheduled gap closest above the memory span to the gaps.
  const memorySize = opts.flags.xbmSize ?? size.xbmSize;
  const span = memorySpan(memorySize, baselineConfig.batchSize);
  const spanGap = scheduledGap(span, baselineConfig.snapshots.every)!;
  const gaps = [...new Set([...size.gaps, spanGap])].sort((a, b) => a - b);
  opts.log(`2/4 drift of the baseline at gaps ${gaps.join(', ')}`);
  const note = (line: string) => opts.log(`  ${line}`);
  const analysis = await analyseRun(baselineDir, { gaps, policy: opts.policy, memorySize, source: 'demo', reportDir: null, note });
  if (analysis.warmup === null) throw new UserError(analysis.warmupSkipped!);
  const warmupFile = analysis.warmup;
  const decision = warmupFile.decision;
  const drift = analysis.drift;
  // A policy that never fires is a result too, and so is one that fires only at the last snapshot
  // (XBM would never train): the XBM run then starts halfway, and the summary says so.
  const usable = decision.start !== null && decision.start < baselineConfig.iterations;
  const startSource = usable ? 'policy' : 'fallback';
  // Halfway, on a snapshot: of the budget actually trained (flags may override the demo's size).
  const every = baselineConfig.snapshots.every || 1;
  const startUsed = usable ? decision.start! : Math.floor(baselineConfig.iterations / 2 / every) * every;
  opts.log(`3/4 XBM start: ${decision.reason}${usable ? '' : ` Falling back to iteration ${startUsed}.`}`);

  const xbmConfig = resolveTrainConfig({ ...common, xbmSize: memorySize, xbmStart: String(startUsed), xbmAdapt: STUDY_CHOICE.adapt, out: xbmDir });
  const xbm = whole('xbm', xbmDir, await train(xbmConfig, { overwrite: opts.overwrite, quiet: opts.quiet, signal: opts.signal }), opts.signal);
  await analyseRun(xbmDir, { gaps, policy: null, reportDir: null, note });
  // The XBM run's report shows the suggestion its start came from.
  writeWarmupFile(runPaths(xbmDir).warmup, warmupFile);

  // The drift at the start as the policy reads it; the largest measured gap if none reaches S.
  // drift.csv, not the demo's gaps alone: the decision computed the gap it needed into it.
  const rowsAtStart = ((await readDriftTable(baselineDir))?.rows ?? drift.rows).filter((r) => r.iteration === startUsed);
  const atStart = rowAtGap(rowsAtStart, span) ?? rowsAtStart.sort((a, b) => b.gap - a.gap)[0] ?? null;
  const runs: DemoRuns = { baseline, xbm, decision, startUsed, startSource, driftAtStart: atStart, gaps };

  const reportDir = join(opts.out, 'report');
  opts.log(`4/4 report -> ${reportDir}`);
  await renderReport(await buildReport([baselineDir, xbmDir]), reportDir);
  const reportIndex = join(reportDir, 'index.html');
  const wallSeconds = (Date.now() - started) / 1000;
  const summary = `${formatDemoSummary(runs)}\nReport: ${reportIndex}\nWall time: ${formatDuration(wallSeconds)}\n`;
  const summaryPath = join(opts.out, 'summary.md');
  writeFileAtomic(summaryPath, summary);
  return { ...runs, baselineDir, xbmDir, reportDir, reportIndex, summary, summaryPath, wallSeconds };
}
