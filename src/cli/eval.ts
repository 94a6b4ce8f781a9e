import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../backend/init-backend.js';
import { loadDataset } from '../data/registry.js';
import { createEmbedder } from '../model/embedder.js';
import { loadRunConfig } from '../train/trainer.js';
import { latestCheckpoint, loadWeights } from '../train/checkpoint.js';
import { evaluateModel } from '../train/evaluate.js';
import { runPaths } from '../io/run-paths.js';
import { writeJsonAtomic } from '../io/atomic-write.js';
import { UserError } from '../errors.js';
import { trainMessages } from '../messages/train.js';
import { Rng } from '../random.js';
import { tf } from '../backend/tf.js';
import { VERBS } from './verbs.js';

interface EvalArgs { run: string; backend?: 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu'; ks?: string }

export const evalCommand: CommandModule<object, EvalArgs> = {
  command: VERBS.eval.usage,
  describe: VERBS.eval.describe,
  builder: (y) =>
    y.positional('run', { type: 'string', demandOption: true, describe: 'run folder' })
      .option('backend', { choices: ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const })
      .option('ks', { type: 'string', describe: 'Recall@K list (default: the run\'s)' }) as never,
  handler: async (args) => {
    const config = loadRunConfig(args.run);
    const paths = runPaths(args.run);
    const cp = latestCheckpoint(paths.checkpoints);
    if (!cp) throw new UserError(trainMessages.noCheckpoint(args.run));
    await initBackend({ backend: args.backend ?? config.backend, threads: config.threads ?? undefined });
    const dataset = await loadDataset(config.dataset.spec, { dataSeed: config.dataset.dataSeed, perClass: config.dataset.imagesPerClass });
    const model = createEmbedder(config.model, dataset.imageShape, new Rng(0));
    loadWeights(cp.path, model);
    const ks = args.ks ? args.ks.split(',').map(Number) : config.eval.ks;
    const row = await evaluateModel(model, dataset.test, cp.iteration, { ks, nmi: config.eval.nmi, seed: config.seed });
    tf.disposeVariables();
    const out = join(paths.analysis, 'eval.json');
    writeJsonAtomic(out, { checkpoint: cp.dir, ...row });
    process.stdout.write(`${args.run} @ iteration ${cp.iteration} (${dataset.test.size} test images, ${dataset.test.classes.length} classes)\n`);
    for (const k of ks) process.stdout.write(`  R@${k}   ${(row as unknown as Record<string, number>)[`recall_at_${k}`]?.toFixed(4) ?? '-'}\n`);
    process.stdout.write(`  MAP@R ${row.map_at_r.toFixed(4)}\n  NMI   ${Number.isNaN(row.nmi) ? '-' : row.nmi.toFixed(4)}\nwritten ${out}${existsSync(out) ? '' : ' (failed)'}\n`);
  },
};
