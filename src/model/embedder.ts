import { tf } from '../backend/tf.js';
import type { Rng } from '../random.js';
import { modelKind, type ModelConfig } from './kinds/index.js';

/** The built-in embedder architectures (model/kinds/: a small CNN, the default, or an MLP), each with a linear head and L2 norm. */
export type EmbedderConfig = ModelConfig;

/**
 * A pretrained backbone as the run uses it (model/backbone.ts): `source` is a model.json path
 * (absolute) or a built-in name ('builtin:digits'); backbone variables learn at lr x lrMult, or
 * not at all when frozen. BatchNorm layers always run on their inference statistics.
 */
export interface BackboneConfig { source: string; lrMult: number; freeze: boolean }

/** A variable under a stable checkpoint key (a backbone's own names can get '_1' suffixes when loaded twice). */
export interface NamedVariable { key: string; variable: tf.Variable }

/** A subset of an embedder's trainable variables that learns at lr x lrMult. */
export interface LrGroup { name: string; lrMult: number; variables: tf.Variable[] }

export interface Embedder {
  readonly config: EmbedderConfig | { kind: 'backbone'; backbone: BackboneConfig; dim: number };
  readonly inputShape: readonly [number, number, number];
  readonly dim: number;
  /** Trainable variables in a fixed order; their names are the checkpoint keys. */
  readonly variables: tf.Variable[];
  /** x: [n, h, w, c] -> L2-normalised embeddings [n, dim]. The caller owns the result. */
  apply(x: tf.Tensor4D): tf.Tensor2D;
  /** Every variable a checkpoint holds (trainable or not), by stable key; absent: `variables` under their names. */
  readonly state?: readonly NamedVariable[];
  /** Variables that learn at another rate than the rest (a backbone's, with --backbone-lr-mult). */
  readonly lrGroups?: readonly LrGroup[];
  /** Frees what the variables do not cover (a GraphModel's weights). */
  dispose?(): void;
}

/** The variables a checkpoint saves and restores, by key. */
export function checkpointVariables(e: Embedder): readonly NamedVariable[] {
  return e.state ?? e.variables.map((variable) => ({ key: variable.name, variable }));
}

/**
 * The built-in embedder of `config` (its kind's forward pass, model/kinds/) followed by L2 norm;
 * weights drawn from `rng`, seeded.
 */
export function createEmbedder(config: EmbedderConfig, inputShape: readonly [number, number, number], rng: Rng): Embedder {
  const vars: tf.Variable[] = [];
  const param = (name: string, shape: number[], fanIn: number | null) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    // He-normal for ReLU layers, zeros for biases: the same scale PyTorch's defaults roughly give.
    if (fanIn !== null) {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
    }
    const v = tf.variable(tf.tensor(values, shape), true, name);
    vars.push(v);
    return v;
  };
  const forward = modelKind(config.kind).build(config, inputShape, param, tf);
  return {
    config, inputShape, dim: config.dim, variables: vars,
    apply: (x) => tf.tidy(() => l2Normalize(forward(x))),
  };
}

/** The PyTorch reference of shared/peers/pytorch_reference.py, for benchmarks and kernel tests. */
export const REFERENCE_EMBEDDER = { kind: 'cnn', channels: [32, 64, 128], dim: 64 } as const satisfies EmbedderConfig;
export const REFERENCE_INPUT: [number, number, number] = [28, 56, 1];

/** Rows scaled to unit length; the epsilon keeps an all-zero row finite (it stays zero). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))));
}

/** Parameter count, for logs and run.json. */
export function parameterCount(e: Embedder): number {
  return e.variables.reduce((n, v) => n + v.size, 0);
}
