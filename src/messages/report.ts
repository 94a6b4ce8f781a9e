/**
 * User-facing texts of src/report, src/sweep, their CLI verbs and the run-folder defaults of the
 * warmup verb: every error and warning defined once.
 */
export const reportMessages = {
  // inputs
  notFound: (dir: string) => `${dir} does not exist: give a run folder (with run.json) or a sweep folder (with sweep.json).`,
  notRunOrSweep: (dir: string) =>
    `${dir} is neither a run folder (run.json or config.json + metrics.csv) nor a sweep folder (sweep.json): point at one of those.`,
  noInputs: 'No runs to report: give at least one run or sweep folder.',
  mixedDatasets: (datasets: string[]) =>
    `The runs use different datasets (${datasets.join(' vs ')}): compare runs of one dataset, or pass --force to compare anyway.`,
  outRequired: 'Several inputs need an explicit --out <dir> for the report.',
  outNotReport: (dir: string) =>
    `${dir} exists and holds files a report does not write: choose another --out (a new or empty folder, or a previous report).`,
  badTheme: (theme: string) => `Unknown theme "${theme}": use --theme default or --theme paper.`,
  outIsFile: (path: string) => `--out ${path} is a file, not a folder: give a folder for the report (new, empty, or a previous report).`,
  badSmooth: (value: unknown) => `--smooth must be a whole number of iterations >= 0, got ${String(value)}.`,

  // notes on figures (shown in the report and printed as warnings)
  missingDrift: (run: string, dir: string) =>
    `No drift analysis for ${run}: run \`xbm-drift drift ${dir}\` to produce analysis/drift.csv.`,
  missingDriftMany: (runs: string[]) =>
    `No drift analysis for ${runs.length} runs (${runs.join(', ')}): run \`xbm-drift drift <run>\` on each to produce analysis/drift.csv.`,
  noDrift: 'No run has analysis/drift.csv; run `xbm-drift drift <run>` first.',
  noTimedEval: 'No run has both eval.csv rows and timed iterations (metrics.csv), so there is no retrieval-against-time curve.',
  noIndex: 'No run used smart mining (index.csv), so there is no index to show.',
  noEval: 'No run has eval.csv rows, so there is no retrieval curve.',
  noMetrics: 'No run has metrics.csv rows.',
  noMiningCounts: 'metrics.csv has no pair counts (batch_pos_pairs ...).',
  noBatchSize: (run: string) => `${run}: config.json has no batchSize, so pairs cannot be divided per anchor; skipped.`,
  noMemoryStaleness: 'No run wrote memory-staleness.csv (XBM never filled the memory), so there is no in-loss staleness to show.',
  noDecisionFlips: 'No run measured decision flips (train --staleness-every N with a memory writes them to staleness.csv).',
  noMemory: 'The memory was never filled in any run (XBM off), so there is nothing stale to show.',
  noStaleness: 'No staleness.csv: only the age of memory entries is shown (train with staleness logging for true drift).',
  noSweep: 'No sweep among the inputs: run `xbm-drift sweep` for R@1 against batch or memory size.',
  noSweepBatch: 'The sweeps have no completed points with a batch grid (--grid batch=...).',
  noSweepMemory: 'The sweeps have no completed XBM points at two or more memory sizes (--grid memory=...).',
  noConfig: 'No run has a config.json with a batch size, so there is nothing for the resource table.',
  incompletePoints: (n: number) => `${n} sweep point(s) without a completed run are left out.`,
  noStart: (run: string) => `${run}: XBM never started.`,

  // warmup verb: defaults read from the run folder
  memoryFromTrainSplit: (size: number, runJson: string) =>
    `memory: M = ${size}, the training split size from ${runJson} (the paper's choice; the run has no memory): give --memory-size M to choose another, or --memory-sizes to compare several.`,

  // sweep
  badGrid: (spec: string) => `--grid "${spec}" is not key=v1,v2,...: write for example --grid batch=16,32,64.`,
  duplicateGridKey: (key: string) => `--grid ${key} is given twice: list all its values in one --grid ${key}=...`,
  noGrid: 'Give at least one --grid key=v1,v2,... for the sweep.',
  badIters: (iters: unknown) => `--iters must be a whole number >= 1, got ${String(iters)}.`,
  badJobs: (jobs: unknown) => `--jobs must be a whole number >= 1, got ${String(jobs)}.`,
  reservedTrainFlag: (flag: string) => `${flag} after -- is set by the sweep itself for each point: remove it.`,
  sweepMismatch: (dir: string) =>
    `${dir} holds a sweep with a different grid or train flags: use a new --out, or rerun with the same grid and flags to resume.`,
  outNotSweep: (dir: string) => `${dir} exists, is not empty and holds no sweep.json: choose a new --out for the sweep.`,
  outIsRun: (dir: string) => `${dir} is a run folder, not a sweep folder: choose another --out.`,
  pointFailed: (name: string, code: number | null, log: string) =>
    `sweep point ${name} failed (exit ${code ?? 'signal'}): see ${log}.`,
  unknownGridKey: (key: string, flag: string) =>
    `--grid ${key}: ${flag} is not a train flag, so no point could train: use batch, memory, xbm, iters or a train flag name (see \`xbm-drift train --help\`).`,
  badPoint: (point: string, problem: string) =>
    `sweep point ${point} would fail: ${problem.replace(/\s*\n\s*/g, ' ').replace(/\.$/, '')}; nothing was trained: fix the --grid values or the train flags after --.`,
  sweepFailures: (n: number, total: number) => `${n} of ${total} sweep point(s) failed; rerun the same command to retry them.`,

  // sweep on a cluster: --plan, --point, --collect, --slurm, --k8s
  sweepModes: (given: string[]) => `${given.map((m) => `--${m}`).join(' and ')} exclude each other: give one of --plan, --point, --collect, --slurm, --k8s.`,
  sweepDirNeeded: (mode: string) => `--${mode} needs the sweep folder: xbm-drift sweep --${mode} <dir> (or --out <dir>).`,
  outNeeded: 'Give the sweep folder with --out <dir>.',
  twoDirs: (out: string, dir: string) => `--out ${out} and the folder ${dir} differ: give the sweep folder once.`,
  noSweepFile: (dir: string) =>
    `${dir} holds no sweep.json: write the plan first with \`xbm-drift sweep --grid ... --out ${dir} --plan\` (or --slurm, --k8s).`,
  badPointIndex: (value: string, n: number) =>
    `--point ${value}: give a point index from 0 to ${Math.max(0, n - 1)} (the first column of plan.tsv), or env to read SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX.`,
  pointUsage: (words: string) => `--point ${words}: give an index (or env) and the sweep folder: xbm-drift sweep --point <index> <dir>.`,
  noPointIndex: '--point env: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set: give the point index, e.g. --point 0.',
  pointSkipped: (index: number, name: string) => `sweep point ${index} (${name}): completed earlier, nothing to do.`,
  collectIncomplete: (missing: string[], failed: string[], total: number) =>
    `${missing.length + failed.length} of ${total} sweep point(s) not completed: ${[
      missing.length > 0 ? `missing ${missing.join(', ')}` : '',
      failed.length > 0 ? `failed or unfinished ${failed.join(', ')}` : '',
    ].filter(Boolean).join('; ')}; see logs/, then rerun the --slurm command or \`xbm-drift sweep --point <index> <dir>\`.`,
  badResource: (flag: string, value: unknown, want: string) => `--${flag} ${String(value)}: ${want}.`,
  clusterOnly: (flag: string, mode: string) => `--${flag} applies to --${mode} only.`,
  sbatchMissing: (script: string) =>
    `sbatch was not found on PATH: run on a Slurm login node, or add --dry-run to print the script (written to ${script}).`,
  sbatchFailed: (code: number | null, stderr: string) =>
    `sbatch refused the job (exit ${code ?? 'signal'}): ${stderr.trim().replace(/\s*\n\s*/g, ' ') || 'no message'}.`,
  slurmJobActive: (jobId: string) =>
    `Slurm job ${jobId} of this sweep is still queued or running: wait for it (squeue -j ${jobId}) or scancel ${jobId}, then rerun to submit the points it leaves unfinished.`,
  nothingToSubmit: (dir: string) => `Every point of ${dir} is completed: nothing to submit; \`xbm-drift sweep --collect ${dir}\` writes sweep.csv.`,
  k8sImage: '--k8s needs --image <a container image with xbm-drift on its PATH>.',

  // sweep: inputs checked before anything is written
  gridFlagTwice: (grid: string, flag: string) =>
    `${grid} and ${flag} after -- both set ${flag.split('=')[0]}, and only one could win: drop ${flag} after --, or list its value in the grid.`,
  resumeAfterDashes:
    '--resume after -- cannot go to every point: to resume a sweep, rerun the same sweep command (completed points are skipped, interrupted ones resume from their checkpoint).',
  gridCount: (n: number, axes: string) => `sweep: ${n} point(s) (${axes}); checking every point before training any.`,
  gridTooLarge: (n: number, axes: string, max: number) =>
    `The grid has ${n} points (${axes}), more than --max-points ${max}: narrow the grid, or give --max-points ${n} to confirm.`,
  badMaxPoints: (value: unknown) => `--max-points must be a whole number >= 1, got ${String(value)}.`,
  sweepInterrupted: (points: readonly string[]) =>
    `sweep interrupted${points.length > 0 ? `: ${points.join(', ')} saved a checkpoint` : ''}; rerun the same command to resume (completed points are skipped, interrupted ones continue from their checkpoint).`,
  inputIsFile: (path: string) => `${path} is a file, not a folder: give a run folder (with run.json) or a sweep folder (with sweep.json).`,
  pointResuming: (name: string, dir: string) => `sweep point ${name}: resuming the interrupted run in ${dir} from its checkpoint.`,
} as const;
