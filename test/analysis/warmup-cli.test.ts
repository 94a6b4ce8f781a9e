import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { runWarmup, warmupCommand, type WarmupFile } from '../../src/cli/warmup.js';
import { UserError } from '../../src/errors.js';
import { writeRunRecord } from '../../src/io/formats/run-record.js';
import { reportMessages } from '../../src/messages/report.js';
import { fixtureRunRecord } from '../report/fixtures.js';
import { writeCsv } from '../../src/io/csv.js';
import { runPaths } from '../../src/io/run-paths.js';
import { DRIFT_COLUMNS, type DriftRow } from '../../src/io/tables.js';
import { WARMUP_POLICY_USAGES } from '../../src/analysis/warmup/policies/index.js';
import { analysisMessages as msg } from '../../src/messages/analysis.js';
import { tempDir } from '../helpers/tmp.js';
import { curve } from './warmup-fixtures.js';

const DECAY = [0.5, 0.3, 0.1, 0.02, 0.012, 0.03, 0.01, 0.009, 0.008, 0.007];
const CONFIG = {
  batchSize: 64,
  loss: { kind: 'contrastive', margin: 0.5 },
  xbm: { size: 3000, start: { kind: 'auto', policy: 'staleness' } },
};

async function makeRun(t: { after: (fn: () => void) => void }, opts: { config?: unknown; drift?: DriftRow[] } = {}) {
  const dir = tempDir(t);
  if (opts.config !== undefined) writeFileSync(join(dir, 'config.json'), JSON.stringify(opts.config));
  if (opts.drift) {
    mkdirSync(join(dir, 'analysis'), { recursive: true });
    await writeCsv(runPaths(dir).driftCsv, DRIFT_COLUMNS, opts.drift as unknown as Record<string, unknown>[]);
  }
  return dir;
}

/**
 * Parses the flags through yargs as the CLI does and collects the printed lines. The printer is
 * injected rather than process.stdout patched: the test runner reports on stdout too.
 */
async function cli(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const print = (line: string) => lines.push(...line.split('\n').filter((l) => l !== ''));
  await yargs(args)
    .command({ ...warmupCommand, handler: async (argv) => void (await runWarmup(argv as never, print)) })
    .fail((m, e) => {
      throw e ?? new Error(m);
    })
    .parseAsync();
  return lines;
}

const readWarmup = (dir: string) => JSON.parse(readFileSync(runPaths(dir).warmup, 'utf8')) as WarmupFile;

test('warmup reads drift.csv and config.json, writes warmup.json and prints the answer', async (t) => {
  const dir = await makeRun(t, { config: CONFIG, drift: curve(DECAY, { small: 20, large: 100 }) });
  const out = await cli(['warmup', dir]);
  assert.deepEqual(out, [
    'start: iteration 900',
    'policy: staleness (threshold=0.015625, window=3, gap=47, thresholdSource=margin)',
    'memory span: S = ceil(3000 / 64) = 47 iterations; drift needed at gap 47, read at measured gap 50',
    'threshold: 0.015625: (margin/4)^2 = 0.015625 from the contrastive margin 0.5: a typical similarity error sqrt(D) of at most a quarter of the margin',
    'drift used (iteration: D): 100: 0.5, 200: 0.3, 300: 0.1, 400: 0.02, 500: 0.012, 600: 0.03, 700: 0.01, 800: 0.009, 900: 0.008',
    `reason: ${msg.stalenessFired(900, 'D(t; S=47), read at measured gap 50,', 0.015625, 3, 700)}`,
    `wrote ${runPaths(dir).warmup}`,
  ]);
  const file = readWarmup(dir);
  assert.equal(file.decision.start, 900);
  assert.equal(file.policySpec, 'staleness');
  assert.deepEqual(file.context, { memorySize: 3000, batchSize: 64, margin: 0.5, lossKind: 'contrastive' });
  assert.deepEqual(file.decision.evidence.firedAt, [700, 800, 900]);
  assert.equal(file.memoryAdvice, null);
});

test('not reached: prints how far the drift still is; flags override config.json', async (t) => {
  const dir = await makeRun(t, { config: CONFIG, drift: curve(DECAY, { small: 20, large: 100 }) });
  const out = await cli(['warmup', dir, '--threshold', '0.001', '--window', '2']);
  assert.equal(out[0], 'start: not reached; the last drift 0.007 at iteration 1000 is 7x the target 0.001 (0.006 above it), 0 of 2 consecutive snapshots meet it');
  assert.equal(readWarmup(dir).decision.start, null);
  // M = 6400, B = 64: S = 100, read at gap 100 (the decoy curve, never below the threshold)
  const big = await cli(['warmup', dir, '--memory-size', '6400', '--batch-size', '64']);
  assert.equal(big[2], 'memory span: S = ceil(6400 / 64) = 100 iterations; drift needed at gap 100');
  assert.match(big[0], /^start: not reached/);
});

test('plateau and fixed policies, and memory-size advice', async (t) => {
  const dir = await makeRun(t, { config: CONFIG, drift: curve(DECAY, { small: 20, large: 100 }) });
  const plateau = await cli(['warmup', dir, '--policy', 'plateau:relativeChange=0.5']);
  // Windows of 3 first change by <= 50% at 700-900: (0.01 - 0.008) / 0.009 = 0.22.
  assert.equal(plateau[0], 'start: iteration 900');
  assert.match(plateau.join('\n'), /drift threshold for comparison: \(margin\/4\)\^2 = 0\.015625/);
  const flat = await cli(['warmup', dir, '--policy', 'plateau:relativeChange=0.01,window=2']);
  assert.equal(flat[0], 'start: not reached; the last window, ending at iteration 1000, changed by 13.333%, 13.333x the target 1%');
  const fixed = await cli(['warmup', dir, '--policy', 'fixed:1000', '--memory-sizes', '1000,3000,20000']);
  assert.equal(fixed[0], 'start: iteration 1000');
  assert.match(fixed.at(-2)!, /^memory sizes \(D over S after the start vs 0\.015625\): M=1000 S=16 not measured; M=3000 S=47 not measured; M=20000 S=313 not measured; largest ok: none$/);
  const file = readWarmup(dir);
  assert.deepEqual(file.memoryAdvice!.perSize.map((p) => p.memorySize), [1000, 3000, 20000]);
  // Advice after a start that leaves room to measure.
  await cli(['warmup', dir, '--policy', 'fixed:400', '--memory-sizes', '3000']);
  assert.deepEqual(readWarmup(dir).memoryAdvice!.perSize.map((p) => [p.memorySize, p.iteration, p.gap, p.drift, p.ok]),
    [[3000, 500, 50, 0.012, true]]);
});

test('fixed needs no drift table; without one and without snapshots to compute it, every other policy says so', async (t) => {
  const dir = await makeRun(t, { config: CONFIG });
  assert.equal((await cli(['warmup', dir, '--policy', 'fixed:500']))[0], 'start: iteration 500');
  await assert.rejects(cli(['warmup', dir]), {
    name: 'UserError',
    message: `${dir} has no analysis/drift.csv and no snapshots/ to compute it from: train it with snapshots (--snapshot-every), or give a run that has them.`,
  });
  const bare = await makeRun(t);
  await assert.rejects(cli(['warmup', bare]), { message: msg.missingContext('--memory-size', 'xbm.size') });
});

test('bad input gets one clear message each', async (t) => {
  const noGap = await makeRun(t, { config: CONFIG, drift: curve(DECAY, { gap: 20 }) });
  await assert.rejects(cli(['warmup', noGap]), { message: msg.noDriftAtGap('staleness', 47, 47, [20], noGap) });
  const short = await makeRun(t, { config: CONFIG, drift: curve([0.01, 0.01]) });
  await assert.rejects(cli(['warmup', short]), { message: msg.tooFewSnapshots('staleness', 47, 2, 3, short) });
  const noConfig = await makeRun(t, { drift: curve(DECAY) });
  await assert.rejects(cli(['warmup', noConfig]), { message: 'Give --memory-size: the run\'s config.json has no xbm.size.' });
  await assert.rejects(cli(['warmup', noConfig, '--memory-size', '3000']), { message: msg.missingContext('--batch-size', 'batchSize') });
  await assert.rejects(cli(['warmup', noConfig, '--memory-size', '0', '--batch-size', '64']), { message: msg.badContextFlag('--memory-size', '0') });
  const dir = await makeRun(t, { config: CONFIG, drift: curve(DECAY) });
  await assert.rejects(cli(['warmup', dir, '--policy', 'plateau', '--threshold', '0.1']),
    { message: msg.flagNotForPolicy('--threshold', 'plateau', ['staleness']) });
  await assert.rejects(cli(['warmup', dir, '--memory-sizes', '1000,x']), { message: msg.badSizeList('1000,x') });
  await assert.rejects(cli(['warmup', dir, '--policy', 'nope']), { message: msg.unknownPolicy('nope', WARMUP_POLICY_USAGES) });
  await assert.rejects(cli(['warmup', dir, '--window', '0']), { message: 'The staleness window must be an integer >= 1, got 0.' });
  writeFileSync(join(dir, 'config.json'), '{ not json');
  await assert.rejects(cli(['warmup', dir]), (e: unknown) => e instanceof UserError && e.message.startsWith(`${join(dir, 'config.json')} is not valid JSON (`) && !e.message.includes('\n'));
  assert.ok(!existsSync(runPaths(noGap).warmup), 'no warmup.json after an error');
});

test('a baseline without a memory: M defaults to the training split size from run.json, and the output says so', async (t) => {
  const baseline = { ...CONFIG, xbm: { size: 0, start: { kind: 'off' } } };
  const dir = await makeRun(t, { config: baseline, drift: curve(DECAY, { small: 20, large: 100 }) });
  const rec = fixtureRunRecord({ batchSize: 64 });
  writeRunRecord(runPaths(dir).run, { ...rec, dataset: { ...rec.dataset, trainSize: 3000 } });
  const out = await cli(['warmup', dir, '--policy', 'staleness']);
  assert.equal(out[0], reportMessages.memoryFromTrainSplit(3000, runPaths(dir).run));
  assert.equal(out[1], 'start: iteration 900');
  assert.equal(out[3], 'memory span: S = ceil(3000 / 64) = 47 iterations; drift needed at gap 47, read at measured gap 50');
  assert.equal(readWarmup(dir).context!.memorySize, 3000);
  // --memory-size still wins, and then nothing is said about the split
  const given = await cli(['warmup', dir, '--policy', 'staleness', '--memory-size', '6400']);
  assert.match(given[0], /^start: not reached/);
  assert.equal(readWarmup(dir).context!.memorySize, 6400);
});
