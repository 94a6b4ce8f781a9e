import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tf } from '../backend/tf.js';
import { initBackend } from '../backend/init-backend.js';
import type { BackendChoice } from '../backend/choices.js';
import { ArraySplit } from '../data/array-split.js';
import { loadDigitFile, MNIST_PIXELS, MNIST_SIDE } from '../data/mnist-files.js';
import { isImageDatasetSpec, loadDataset } from '../data/registry.js';
import type { DatasetOptions, ImageOptions, Split } from '../data/types.js';
import { UserError } from '../errors.js';
import { modelMessages as M } from '../messages/model.js';
import { builtinBackbone, builtinBackboneDirs, builtinCommand, BUILTIN_NAMES, isBuiltinBackbone } from '../model/builtin-backbones.js';
import type { EmbedderConfig } from '../model/embedder.js';
import { fileSaveHandler, type ModelJson } from '../model/model-files.js';
import { modelKind } from '../model/kinds/index.js';
import { buildTrunk } from '../model/trunk.js';
import { Rng } from '../random.js';

/** A pretrain run: a built-in trunk trained as a softmax classifier, saved as a LayersModel. */
export interface PretrainConfig {
  dataset: string;
  out: string;
  /** the trunk; `dim` is unused (the classifier's width is the number of classes) */
  model: EmbedderConfig;
  iterations: number;
  batchSize: number;
  lr: number;
  seed: number;
  backend: BackendChoice;
  threads?: number;
  image?: ImageOptions;
  /** the dataset layout's own flag values (DatasetOptions.settings) */
  settings?: DatasetOptions['settings'];
  overwrite: boolean;
  /** the command line to record in the README next to the weights */
  command: string;
}

export interface PretrainResult { path: string; accuracy: number; seconds: number; bytes: number; classes: number }

/** The files pretrain writes into --out, and the heading of its README. */
const PRETRAIN_FILES = ['README.md', 'model.json', 'weights.bin'] as const;
const README_HEADING = '# Backbone pretrained by `xbm-drift pretrain`';

/**
 * Whether `dir`/`name` is provably pretrain's: a model.json carrying pretrain's metadata and
 * naming weights.bin, a README.md under pretrain's heading, or the weights.bin such a model.json names.
 */
function isPretrainFile(dir: string, name: string): boolean {
  const path = join(dir, name);
  if (!(PRETRAIN_FILES as readonly string[]).includes(name) || !lstatSync(path).isFile()) return false;
  if (name === 'README.md') return readFileSync(path, 'utf8').startsWith(README_HEADING);
  const modelJson = join(dir, 'model.json');
  if (!existsSync(modelJson) || !lstatSync(modelJson).isFile()) return false;
  try {
    const json = JSON.parse(readFileSync(modelJson, 'utf8')) as ModelJson;
    const meta = json.userDefinedMetadata?.xbmDrift as { kind?: unknown; command?: unknown } | undefined;
    const shards = json.weightsManifest?.flatMap((g) => g.paths) ?? [];
    return meta?.kind === 'trunk' && typeof meta.command === 'string' && shards.length === 1 && shards[0] === 'weights.bin';
  } catch {
    return false;
  }
}

/**
 * Refuses an --out that pretrain may not replace, touching nothing. Saving renames a finished
 * folder over --out, so --out must be absent, empty, or hold only a backbone pretrain wrote
 * (and then --overwrite). Anything else is the user's: never deleted, even with --overwrite.
 */
export function checkPretrainOut(out: string, overwrite: boolean): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UserError(M.pretrainOutIsFile(out));
  const entries = readdirSync(out).sort();
  const foreign = entries.find((name) => !isPretrainFile(out, name));
  if (foreign !== undefined) throw new UserError(M.pretrainOutForeign(out, foreign));
  if (entries.length > 0 && !overwrite) throw new UserError(M.pretrainOutExists(out));
}

/**
 * The classification data. `mnist` means every digit of the MNIST train file (all 10 classes,
 * 60,000 images): the `mnist` dataset's class-disjoint split (0-4 train, 5-9 test) exists for
 * metric learning, while a trunk for mnist2/mnist3 should know every digit. Those datasets
 * evaluate on composites of t10k digits, which pretraining never sees. Any other dataset trains
 * on its train split (its train classes only, so its test classes stay unseen).
 */
async function classificationData(spec: string, image: ImageOptions | undefined, settings?: DatasetOptions['settings']): Promise<{ split: Split; shape: [number, number, number]; normalization: string }> {
  if (spec === 'mnist') {
    const file = await loadDigitFile('train');
    return { split: new ArraySplit(Int32Array.from(file.labels), file.images, MNIST_PIXELS), shape: [MNIST_SIDE, MNIST_SIDE, 1], normalization: 'none' };
  }
  const d = await loadDataset(spec, { dataSeed: 0, ...(image ? { image } : {}), ...(settings ? { settings } : {}) });
  const normalization = isImageDatasetSpec(spec) ? (typeof image?.normalization === 'string' ? image.normalization : image?.normalization ? 'custom' : 'imagenet') : 'none';
  return { split: d.train, shape: [...d.imageShape], normalization };
}

export async function pretrain(config: PretrainConfig, log: (line: string) => void = () => {}): Promise<PretrainResult> {
  const out = resolve(config.out);
  checkPretrainOut(out, config.overwrite);
  await initBackend({ backend: config.backend, threads: config.threads, asyncReadsOnly: true });
  const { split, shape, normalization } = await classificationData(config.dataset, config.image, config.settings);
  const classes = [...split.classes];
  if (classes.length < 2) throw new UserError(M.pretrainTooFewClasses(config.dataset, classes.length));
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const targets = Int32Array.from(split.labels, (l) => classIndex.get(l)!);

  const rng = new Rng(config.seed);
  const trunk = buildTrunk(config.model, shape, rng.fork());
  const width = modelKind(config.model.kind).featureWidth(config.model, shape);
  const wValues = new Float32Array(width * classes.length);
  const headRng = rng.fork();
  for (let i = 0; i < wValues.length; i++) wValues[i] = headRng.normal() * Math.sqrt(1 / width);
  const classifier = tf.tidy(() => ({
    kernel: tf.variable(tf.tensor2d(wValues, [width, classes.length]), true, 'pretrain/classifier/kernel'),
    bias: tf.variable(tf.zeros([classes.length]), true, 'pretrain/classifier/bias'),
  }));
  const varList = [...trunk.trainableWeights.map((w) => w.read() as tf.Variable), classifier.kernel, classifier.bias];
  const optimizer = tf.train.adam(config.lr);
  const sampler = rng.fork();
  const [h, w, c] = shape;
  const start = performance.now();
  let correct = 0;
  let seen = 0;
  const window = Math.min(50, config.iterations);
  try {
    for (let t = 1; t <= config.iterations; t++) {
      const ids = Int32Array.from({ length: config.batchSize }, () => sampler.int(split.size));
      const pixels = await split.loadImages(ids);
      const y = Int32Array.from(ids, (i) => targets[i]);
      const x = tf.tensor4d(pixels, [ids.length, h, w, c]);
      const labels = tf.tensor1d(y, 'int32');
      let predictedT: tf.Tensor | null = null;
      const loss = optimizer.minimize(() => {
        const f = trunk.apply(x, { training: true }) as tf.Tensor;
        const pooled = (f.rank === 4 ? tf.mean(f, [1, 2]) : f) as tf.Tensor2D;
        const logits = tf.add(tf.matMul(pooled, classifier.kernel), classifier.bias);
        // Kept and read after the update: webgpu reads only asynchronously.
        predictedT = tf.keep(tf.argMax(logits, 1));
        return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, classes.length), logits) as tf.Scalar;
      }, true, varList)!;
      const value = (await loss.data())[0];
      const predicted = (await predictedT!.data()) as Int32Array;
      tf.dispose([loss, predictedT!]);
      x.dispose();
      labels.dispose();
      if (!Number.isFinite(value)) throw new UserError(`The pretraining loss became ${value} at iteration ${t}: try a lower --lr.`);
      if (t > config.iterations - window) {
        for (let k = 0; k < y.length; k++) correct += predicted[k] === y[k] ? 1 : 0;
        seen += y.length;
      }
      if (t % 50 === 0 || t === config.iterations) log(`pretrain ${t}/${config.iterations}: loss ${value.toFixed(4)}`);
      await new Promise<void>((r) => setImmediate(r));
    }
    const seconds = (performance.now() - start) / 1000;
    const metadata = {
      xbmDrift: {
        kind: 'trunk',
        normalization,
        pretrainedOn: config.dataset,
        classes: classes.length,
        inputShape: modelKind(config.model.kind).trunkInputShape(config.model, [h, w, c]),
        iterations: config.iterations,
        command: config.command,
      },
    };
    const readme = pretrainReadme(config, classes.length, seen ? correct / seen : NaN);
    // Again: training took a while, and the save replaces the folder.
    checkPretrainOut(out, config.overwrite);
    const saved = await trunk.save(fileSaveHandler(out, metadata, { 'README.md': readme }));
    return { path: join(out, 'model.json'), accuracy: seen ? correct / seen : NaN, seconds, bytes: saved.modelArtifactsInfo.weightDataBytes ?? 0, classes: classes.length };
  } finally {
    optimizer.dispose();
    trunk.dispose();
    classifier.kernel.dispose();
    classifier.bias.dispose();
  }
}

function pretrainReadme(config: PretrainConfig, classes: number, accuracy: number): string {
  const arch = modelKind(config.model.kind).describeTrunk(config.model);
  return [
    README_HEADING,
    '',
    `${arch}, trained as a ${classes}-way softmax classifier on ${config.dataset} for ${config.iterations} iterations ` +
      `(batch ${config.batchSize}, Adam lr ${config.lr}, seed ${config.seed}); train accuracy over the last iterations ${(accuracy * 100).toFixed(1)}%.`,
    'The classifier layer is not saved: `train --backbone <this folder>` puts global average pooling, a linear layer to --dim and L2 norm on top.',
    '',
    'Files: model.json (a TensorFlow.js LayersModel, the format tensorflowjs_converter writes for Keras models) and weights.bin.',
    '',
    'Rebuild with:',
    '',
    '```',
    config.command,
    '```',
    '',
  ].join('\n');
}

/**
 * A --backbone source to a model.json path. A built-in name resolves to its shipped folder, else to
 * its cache folder, pretraining it there on first use (and saying so, with the command that does the same).
 */
export async function resolveBackboneSource(
  source: string,
  opts: {
    backend: BackendChoice;
    threads?: number;
    log?: (line: string) => void;
    /** tests only: other folders, and a shorter build */
    testing?: { dirs: { shipped: string; cache: string }; iterations: number };
  },
): Promise<string> {
  if (!isBuiltinBackbone(source)) return source;
  const b = builtinBackbone(source);
  if (!b) throw new UserError(M.unknownBuiltin(source, BUILTIN_NAMES));
  const { shipped, cache } = opts.testing?.dirs ?? builtinBackboneDirs(b);
  if (existsSync(join(shipped, 'model.json'))) return join(shipped, 'model.json');
  if (existsSync(join(cache, 'model.json'))) return join(cache, 'model.json');
  const recipe = { ...b.pretrain, ...(opts.testing ? { iterations: opts.testing.iterations } : {}) };
  const command = builtinCommand({ ...b, pretrain: recipe }, cache);
  opts.log?.(M.buildingBuiltin(source, cache, command));
  await pretrain({ ...recipe, out: cache, backend: opts.backend, threads: opts.threads, overwrite: true, command }, opts.log);
  return join(cache, 'model.json');
}
