import { tf, tfjs } from '../backend/tf.js';
import { UserError, isUserError } from '../errors.js';
import { modelMessages as M } from '../messages/model.js';
import type { Rng } from '../random.js';
import { l2Normalize, type BackboneConfig, type Embedder, type LrGroup, type NamedVariable } from './embedder.js';
import { fileLoadHandler, modelJsonPath, readModelJson, type ModelFormat } from './model-files.js';

/**
 * A pretrained TensorFlow.js model as the trunk of an embedder, with a head on top:
 * global average pooling if the output is spatial, linear to `dim`, L2 norm.
 *
 * - LayersModel (a Keras model through tensorflowjs_converter, or `xbm-drift pretrain`): fine-tunable.
 *   Its trainable weights learn at lr x lrMult, or stay fixed with `freeze`. BatchNorm runs on its
 *   moving statistics in training too (apply(x, {training: false})): the usual DML fine-tuning
 *   practice (research-xbm freezes BN), since P x K batches of few classes give poor batch
 *   statistics. BN's gamma/beta are ordinary trainable weights. Dropout is off likewise.
 * - GraphModel (a TF SavedModel through tensorflowjs_converter): its weights are constants, so it
 *   is a frozen feature extractor; only the head trains.
 *
 * No BatchNorm in the head: with BN on inference statistics, a freshly initialised BN is a fixed
 * affine map that the linear layer after it already covers.
 *
 * `@tensorflow/tfjs` is imported here (not only tfjs-core through backend/tf.ts) for its layers and
 * converter APIs; it shares tfjs-core's engine (the same pinned version, one copy in node_modules).
 */

/** What a backbone's model.json may declare under userDefinedMetadata.xbmDrift (pretrain writes it). */
export interface BackboneMetadata {
  /** the inputs it was trained on: 'none' = values in [0, 1], 'imagenet' = ImageNet mean/std */
  normalization?: string;
  pretrainedOn?: string;
  command?: string;
}

/** The images a dataset hands the model: their shape and how they are normalised ('none' = [0, 1]). */
export interface BackboneInput {
  dataset: string;
  imageShape: readonly [number, number, number];
  normalization: string;
  /** an image dataset (read with sharp), whose size --image-size sets */
  resizable: boolean;
}

export interface LoadedBackbone {
  path: string;
  format: ModelFormat;
  /** [null, h, w, c], null where any size goes */
  inputShape: (number | null)[];
  metadata: BackboneMetadata;
  layers: tfjs.LayersModel | null;
  graph: tfjs.GraphModel | null;
}

/** Loads model.json (`path` as the user gave it, for messages); a one-line UserError for anything that is not a usable model. */
export async function loadBackbone(path: string, shown = path): Promise<LoadedBackbone> {
  const file = modelJsonPath(path);
  const { json, format } = readModelJson(file, shown);
  const handler = fileLoadHandler(file, shown);
  let layers: tfjs.LayersModel | null = null;
  let graph: tfjs.GraphModel | null = null;
  try {
    if (format === 'layers-model') layers = await tfjs.loadLayersModel(handler);
    else graph = await tfjs.loadGraphModel(handler);
  } catch (e) {
    if (isUserError(e)) throw e;
    throw new UserError(M.backboneLoadFailed(shown, e instanceof Error ? e.message : String(e)));
  }
  const inputs = layers ? layers.inputs.map((t) => t.shape) : graph!.inputs.map((t) => (t.shape ?? []).map((d) => (d < 0 ? null : d)));
  if (inputs.length !== 1) throw new UserError(M.backboneInputs(shown, inputs.length));
  const inputShape = inputs[0].map((d) => (d === undefined || d === null || d < 0 ? null : d));
  if (inputShape.length !== 4) throw new UserError(M.backboneRank(shown, inputShape));
  const meta = (json.userDefinedMetadata?.xbmDrift ?? {}) as BackboneMetadata;
  return { path: file, format, inputShape, metadata: meta, layers, graph };
}

/** The input checks: the dataset's image shape against what the backbone takes, and the normalisation it declares. */
export function checkBackboneInput(b: LoadedBackbone, input: BackboneInput, shown: string): void {
  const [, h, w, c] = b.inputShape;
  const [ih, iw, ic] = input.imageShape;
  if ((h !== null && h !== ih) || (w !== null && w !== iw) || (c !== null && c !== ic)) {
    throw new UserError(M.inputSize(shown, b.inputShape, input.dataset, input.imageShape, input.resizable));
  }
  const declared = b.metadata.normalization;
  if (declared !== undefined && declared !== input.normalization) {
    throw new UserError(M.normalization(shown, describeNormalization(declared), input.dataset, describeNormalization(input.normalization)));
  }
}

export function describeNormalization(n: string): string {
  return n === 'none' ? '[0, 1]' : n;
}

/**
 * The embedder: backbone + head. Checkpoint keys: 'backbone/<weight name in model.json>' and
 * 'head/kernel', 'head/bias'. The caller owns it (tf.disposeVariables + dispose()).
 */
export async function createBackboneEmbedder(config: BackboneConfig, modelPath: string, dim: number, input: BackboneInput, rng: Rng): Promise<Embedder> {
  const b = await loadBackbone(modelPath, config.source);
  try {
    checkBackboneInput(b, input, config.source);
  } catch (e) {
    b.layers?.dispose();
    b.graph?.dispose();
    throw e;
  }
  const trunk = (x: tf.Tensor4D): tf.Tensor => {
    const y = b.layers ? b.layers.apply(x, { training: false }) : b.graph!.execute(x);
    if (Array.isArray(y)) throw new UserError(M.backboneInputs(config.source, y.length));
    return y as tf.Tensor;
  };
  // One forward pass on a blank image tells the feature width (and that the trunk applies to this shape at all).
  const features = (() => {
    try {
      return tf.tidy(() => {
        const y = trunk(tf.zeros([1, ...input.imageShape]) as tf.Tensor4D);
        return { rank: y.rank, width: y.shape[y.rank - 1] as number };
      });
    } catch (e) {
      if (isUserError(e)) throw e;
      throw new UserError(M.backboneLoadFailed(config.source, `it does not apply to ${input.imageShape.join('x')} images: ${e instanceof Error ? e.message : String(e)}`));
    }
  })();
  if (features.rank !== 2 && features.rank !== 4) throw new UserError(M.backboneOutputRank(config.source, features.rank));

  const state: NamedVariable[] = [];
  const seen = new Set<string>();
  const backboneTrainable: tf.Variable[] = [];
  for (const w of b.layers?.weights ?? []) {
    let key = `backbone/${w.originalName}`;
    for (let k = 1; seen.has(key); k++) key = `backbone/${w.originalName}#${k}`;
    seen.add(key);
    const variable = w.read() as tf.Variable;
    state.push({ key, variable });
    if (w.trainable) backboneTrainable.push(variable);
  }
  const f = features.width;
  const kernelValues = new Float32Array(f * dim);
  const std = Math.sqrt(2 / f);
  for (let i = 0; i < kernelValues.length; i++) kernelValues[i] = rng.normal() * std;
  const kernel = ownedVariable(tf.tensor2d(kernelValues, [f, dim]), uniqueName('head/kernel'));
  const bias = ownedVariable(tf.zeros([dim]), uniqueName('head/bias'));
  state.push({ key: 'head/kernel', variable: kernel }, { key: 'head/bias', variable: bias });

  const trains = !config.freeze && b.layers !== null;
  const variables = [...(trains ? backboneTrainable : []), kernel, bias];
  const lrGroups: LrGroup[] = trains && config.lrMult !== 1 && backboneTrainable.length > 0
    ? [{ name: 'backbone', lrMult: config.lrMult, variables: backboneTrainable }]
    : [];
  return {
    config: { kind: 'backbone', backbone: config, dim },
    inputShape: input.imageShape,
    dim,
    variables,
    state,
    lrGroups,
    apply: (x) => tf.tidy(() => {
      let y = trunk(x);
      if (y.rank === 4) y = tf.mean(y, [1, 2]);
      return l2Normalize(tf.add(tf.matMul(y as tf.Tensor2D, kernel), bias));
    }),
    dispose: () => {
      // Layer variables go with tf.disposeVariables(); a GraphModel holds its weights as tensors.
      b.graph?.dispose();
    },
  };
}

/** tf.variable names must be unique in the engine; a second embedder in one process gets 'head/kernel_1'. */
function uniqueName(name: string): string {
  const registered = (tf.engine() as unknown as { registeredVariables: Record<string, unknown> }).registeredVariables;
  let n = name;
  for (let k = 1; n in registered; k++) n = `${name}_${k}`;
  return n;
}

/** A trainable variable from a fresh tensor; the tensor itself is disposed (the variable keeps the data). */
function ownedVariable(init: tf.Tensor, name: string): tf.Variable {
  const v = tf.variable(init, true, name);
  init.dispose();
  return v;
}
