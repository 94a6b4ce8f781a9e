/**
 * The demo's two run folders in miniature, as `xbm-drift demo` leaves them: a baseline whose
 * analysis/warmup.json holds the scatter policy's decision on its own drift (decided by the real
 * decideWarmup, so the evidence has the real fields), and an XBM run whose configuration fixes the
 * start the demo copied from that decision, with the same warmup.json beside it.
 */
import { join } from 'node:path';
import { decideWarmup } from '../../src/analysis/warmup/decide.js';
import { parseWarmupPolicy } from '../../src/analysis/warmup/parse-policy.js';
import { writeCsv } from '../../src/io/csv.js';
import { readRunRecord, writeRunRecord } from '../../src/io/formats/run-record.js';
import { writeWarmupFile, type WarmupFile } from '../../src/io/formats/warmup-file.js';
import type { WarmupContext } from '../../src/io/formats/start-decision.js';
import { runPaths } from '../../src/io/run-paths.js';
import { DRIFT_COLUMNS, type DriftRow } from '../../src/io/tables.js';
import { makeRun } from './fixtures.js';

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * Drift that falls with training and a within-class scatter W(t) that shrinks more slowly, so
 * D(t; 50) <= W(t) from about iteration 180 while B(t) > W(t): scatter fires a few snapshots later.
 */
function scatterDrift(iterations: number, gaps: number[], every: number): DriftRow[] {
  const rows: DriftRow[] = [];
  for (let t = 0; t <= iterations; t += every)
    for (const gap of gaps) {
      if (t - gap < 0) continue;
      const mean = r4(0.8 * Math.exp(-t / 70) * Math.sqrt(gap / 10) + 0.002 * gap ** 0.5);
      const within = r4(0.25 - 0.1 * (1 - Math.exp(-t / 100)));
      const between = r4(0.1 + 0.5 * (1 - Math.exp(-t / 60)));
      const spread = r4(1.2 - 0.3 * (1 - Math.exp(-t / 100)));
      rows.push({ iteration: t, gap, mean, median: r4(mean * 0.9), p90: r4(mean * 1.8), max: r4(mean * 3), n: 256, scatter_within: within, scatter_between: between, probe_spread: spread });
    }
  return rows;
}

export async function makeDemoPair(root: string, iterations = 300, policy = 'scatter'): Promise<{ baseline: string; xbm: string; warmup: WarmupFile }> {
  const memorySize = 1000;
  const batchSize = 64;
  const gaps = [1, 10, 50];
  const baseline = await makeRun(join(root, 'baseline'), { name: 'baseline', xbmStart: null, iterations, batchSize, gaps, files: { drift: false } });
  const drift = scatterDrift(iterations, gaps, 20);
  await writeCsv(runPaths(baseline).driftCsv, DRIFT_COLUMNS, drift);
  const context: WarmupContext = { memorySize, batchSize, margin: 0.5, lossKind: 'contrastive' };
  const decision = decideWarmup(drift, parseWarmupPolicy(policy), context);
  if (decision.start === null) throw new Error(`the demo fixture expects ${policy} to fire`);
  const warmup: WarmupFile = { schemaVersion: 1, source: 'demo', run: baseline, policySpec: policy, context, decision, memoryAdvice: null };
  writeWarmupFile(runPaths(baseline).warmup, warmup);

  // The XBM run: a fixed start (config.json and run.json say {kind: 'at'}; no online decision).
  const xbm = await makeRun(join(root, 'xbm'), { name: 'xbm', xbmStart: decision.start, xbmSize: memorySize, iterations, batchSize, gaps, configStartObject: true, quality: 1.1, msPerIteration: 55 });
  const record = readRunRecord(runPaths(xbm).run)!;
  writeRunRecord(runPaths(xbm).run, { ...record, xbm: { ...record.xbm, decision: null } });
  writeWarmupFile(runPaths(xbm).warmup, warmup);
  return { baseline, xbm, warmup };
}
