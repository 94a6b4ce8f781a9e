import { tf } from '../backend/tf.js';
import type { Rng } from '../random.js';

/** The embedder architectures: a small CNN (default) or an MLP, each with a linear head and L2 norm. */
export type EmbedderConfig =
  /** fused: conv + bias + ReLU as one tf.fused.conv2d (faster inference; the same function) */
  | { kind: 'cnn'; channels: number[]; dim: number; fused?: boolean }
  | { kind: 'mlp'; hidden: number[]; dim: number };

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
 * conv3x3(c1)-ReLU-maxpool2 -> ... -> conv3x3(c_last)-ReLU -> global average pool -> linear(dim)
 * -> L2 normalise. With channels 32,64,128 and dim 64 this is exactly the PyTorch reference in
 * shared/peers/pytorch_reference.py, so speed comparisons are like for like.
 */
export function createEmbedder(config: EmbedderConfig, inputShape: readonly [number, number, number], rng: Rng): Embedder {
  const [h, w, c] = inputShape;
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

  if (config.kind === 'cnn') {
    const convs: { kernel: tf.Variable; bias: tf.Variable }[] = [];
    let inC = c;
    config.channels.forEach((outC, i) => {
      convs.push({
        kernel: param(`conv${i + 1}/kernel`, [3, 3, inC, outC], 9 * inC),
        bias: param(`conv${i + 1}/bias`, [outC], null),
      });
      inC = outC;
    });
    const head = { kernel: param('head/kernel', [inC, config.dim], inC), bias: param('head/bias', [config.dim], null) };
    return {
      config, inputShape, dim: config.dim, variables: vars,
      apply: (x) => tf.tidy(() => {
        let y: tf.Tensor4D = x;
        convs.forEach((layer, i) => {
          y = config.fused
            ? tf.fused.conv2d({ x: y, filter: layer.kernel as tf.Tensor4D, strides: 1, pad: 'same', bias: layer.bias, activation: 'relu' })
            : (tf.relu(tf.add(tf.conv2d(y, layer.kernel as tf.Tensor4D, 1, 'same'), layer.bias)) as tf.Tensor4D);
          if (i < convs.length - 1) y = tf.maxPool(y, 2, 2, 'valid');
        });
        const pooled = tf.mean(y, [1, 2]) as tf.Tensor2D;
        return l2Normalize(tf.add(tf.matMul(pooled, head.kernel as tf.Tensor2D), head.bias));
      }),
    };
  }

  const layers: { kernel: tf.Variable; bias: tf.Variable }[] = [];
  let inF = h * w * c;
  [...config.hidden, config.dim].forEach((outF, i) => {
    const name = i === config.hidden.length ? 'head' : `dense${i + 1}`;
    layers.push({ kernel: param(`${name}/kernel`, [inF, outF], inF), bias: param(`${name}/bias`, [outF], null) });
    inF = outF;
  });
  return {
    config, inputShape, dim: config.dim, variables: vars,
    apply: (x) => tf.tidy(() => {
      let y: tf.Tensor2D = tf.reshape(x, [x.shape[0], h * w * c]);
      layers.forEach((layer, i) => {
        y = tf.add(tf.matMul(y, layer.kernel as tf.Tensor2D), layer.bias);
        if (i < layers.length - 1) y = tf.relu(y);
      });
      return l2Normalize(y);
    }),
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
