/**
 * The library API of xbm-drift: the same pieces the CLI drives. Analysis and report read run
 * folders only, so they work on runs made anywhere. docs/library-api.md.
 */
export { tf } from './backend/tf.js';
export { initBackend, shutdownBackend, type BackendChoice, type BackendInfo } from './backend/init-backend.js';
export { UserError, isUserError } from './errors.js';
export { Rng } from './random.js';

// configuration and training
export { DEFAULTS, resolveTrainConfig, parseXbmStart, memorySpan, type TrainConfig, type TrainFlags, type XbmStart } from './config/train-config.js';
export { train, resumeTraining, loadRunConfig, type TrainOptions } from './train/trainer.js';
export { trainStep, trainStepAsyncReads, type StepResult } from './train/step.js';
export { trainStepMicroBatched } from './train/gradient-cache.js';
export { snapshotIterations } from './config/snapshot-schedule.js';
export { learningRateAt } from './train/lr-schedule.js';
export { evaluateModel, evaluateDataset, describeProtocol } from './train/evaluate.js';
export { evaluateRun, type EvaluateRunOptions, type RunEvaluation } from './train/evaluate-run.js';
export { latestCheckpoint, loadWeights } from './train/checkpoint.js';

// data, model, losses, memory
export { loadDataset, DATASET_NAMES, createSampler, restoreSampler, selectProbe, type Dataset, type Split, type Sampler, type SamplerConfig } from './data/index.js';
export { createEmbedder, l2Normalize, parameterCount, type Embedder, type EmbedderConfig } from './model/embedder.js';
export { embedSamples } from './model/embed.js';
export { createLoss, similarityKernel, ContrastiveLoss, TripletLoss, MultiSimilarityLoss } from './losses/create-loss.js';
export { LOSSES, LOSS_KINDS, LOSS_DEFAULTS, lossDefinition, similarityScale, type LossConfig, type LossKind } from './losses/registry.js';
export { cosineSimilarity } from './losses/similarity.js';
export type { PairLoss, LossOutput, PairStats } from './losses/pair-loss.js';
export { CrossBatchMemory } from './memory/cross-batch-memory.js';
export { xbmLoss } from './memory/xbm-loss.js';
export { ADAPT_STRATEGIES, createAdapter, type XbmAdaptConfig } from './memory/adapt/index.js';
export { PARITY_MODES, parityMode, type ParityKind } from './memory/parity/registry.js';
export type { ParityMode, XbmCombine } from './memory/parity/parity.js';
export { decisionFlips, type DecisionFlips } from './memory/decision-flips.js';
// smart mining (Harwood et al. 2017): the index, the miner, the controller, the refreshes
export { buildIndex, indexRecall, ExactIndex, INDEX_KINDS, type IndexKind, type NeighbourIndex } from './mining/neighbour-index.js';
export { mineAnchor, mineBatch, type IndexedSplit, type MinedTuple } from './mining/smart-miner.js';
export { SmartController, CONTROLLER_DEFAULTS, type Adjustment } from './mining/smart-controller.js';
export { SmartMining, refreshDue } from './mining/smart-mining.js';
export { SMART_MINING_DEFAULTS, type SmartMiningConfig } from './mining/smart-config.js';
export { readIndexTable, type IndexRefreshRow } from './io/formats/index-table.js';
export { globalLoss, tripletGlobal, type TripletGlobalConfig } from './losses/triplet-global.js';

// run folders and files
export { runPaths, type RunPaths } from './io/run-paths.js';
export { readCsv, writeCsv } from './io/csv.js';
export { METRICS_COLUMNS, EVAL_COLUMNS, DRIFT_COLUMNS, STALENESS_COLUMNS, TRAINER_STALENESS_COLUMNS, type MetricsRow, type EvalRow, type DriftRow, type StalenessRow } from './io/tables.js';
export { writeSnapshot, readSnapshot, type Snapshot } from './io/snapshot-file.js';
export { SnapshotReader } from './io/snapshot-reader.js';
export { readRunRecord, writeRunRecord, type RunRecord } from './io/formats/run-record.js';
export { readWarmupFile, writeWarmupFile, type WarmupFile } from './io/formats/warmup-file.js';
export { readSweepFile, type SweepFile } from './io/formats/sweep-file.js';
export { readSweepTable, type SweepPointRow } from './io/formats/sweep-table.js';
export { importRun } from './import/import-run.js';
export { parseNpy } from './import/npy.js';
export { writeProbe, readProbe } from './io/probe-file.js';

// analysis
export { computeDrift, pairDrift, probeScatter, type DriftResult } from './analysis/drift.js';
export { writeDriftOutputs } from './analysis/drift-output.js';
export { computeNeighbourChurn } from './analysis/neighbour-churn.js';
export { evaluateRetrieval, evaluateQueryGallery, type RetrievalResult } from './analysis/retrieval.js';
export { fitPca, projectRows } from './analysis/pca.js';
export { linearCka } from './analysis/cka.js';
export { decideWarmup } from './analysis/warmup/decide.js';
export { OnlineWarmup } from './analysis/warmup/online.js';
export { XbmGuard } from './analysis/warmup/guard.js';
export { parseWarmupPolicy, formatWarmupPolicy, WARMUP_DEFAULTS } from './analysis/warmup/parse-policy.js';
export { WARMUP_POLICIES, WARMUP_POLICY_KINDS } from './analysis/warmup/policies/index.js';
export { defaultDriftThreshold } from './analysis/warmup/threshold.js';
export { adviseMemorySize } from './analysis/warmup/memory-advice.js';
export type { WarmupDecision, WarmupPolicyConfig, WarmupContext } from './analysis/warmup/types.js';
export { detectCollapse, CollapseMonitor } from './analysis/collapse.js';

// a run folder analysed as drift, warmup and report would (import --report, the demo)
export { analyseRun, type AnalyseRunOptions, type RunAnalysis } from './pipeline/analyse-run.js';
export { driftWithGaps } from './analysis/drift-on-demand.js';
export { decideRunStart, runStartContext, type RunStartContext, type RunStartOptions } from './analysis/warmup-run.js';
export { readDriftTable, writeDriftTable, type DriftTable } from './io/formats/drift-table.js';
export { readRunConfig, type RunConfigFile } from './io/formats/run-config.js';

// reports
export { buildReport, FIGURE_BUILDERS } from './report/build-report.js';
export { renderReport } from './report/render-report.js';
export { specToSvg, svgToPng } from './report/render-svg.js';

// the main job
export { runDemo, DEMO_SIZES, type DemoOptions, type DemoResult, type DemoRuns } from './demo/demo.js';
export { formatDemoSummary } from './demo/summary.js';
