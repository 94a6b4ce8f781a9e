import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import { tf } from '../../src/backend/tf.js';
import { fileSaveHandler } from '../../src/model/model-files.js';
import { Rng } from '../../src/random.js';

/**
 * Tiny backbones written by the tests themselves, in the formats tensorflowjs_converter writes.
 * - a LayersModel: conv(4) -> BatchNorm (non-trivial moving statistics) -> conv(6), saved with the
 *   project's own fs IOHandler; input [h?, w?, 1] (fully convolutional) or a fixed [h, w, 1].
 * - a GraphModel: tfjs 4.22 cannot produce one in-process (GraphModel.save only re-saves what it
 *   loaded, and nothing builds a TF graph from JS), so its model.json is hand-written: the
 *   GraphDef JSON of Placeholder -> Conv2D(3x3x1x4, SAME) -> BiasAdd -> Relu, as the converter
 *   writes it (format 'graph-model', string attributes base64), with its weights in weights.bin.
 */
export async function writeLayersBackbone(dir: string, opts: { inputShape?: [number | null, number | null, number]; seed?: number; metadata?: Record<string, unknown> } = {}): Promise<string> {
  const rng = new Rng(opts.seed ?? 7);
  const input = tfjs.input({ shape: opts.inputShape ?? [null, null, 1] });
  let y = tfjs.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tfjs.SymbolicTensor;
  y = tfjs.layers.batchNormalization({ name: 'bn' }).apply(y) as tfjs.SymbolicTensor;
  y = tfjs.layers.conv2d({ name: 'c2', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(y) as tfjs.SymbolicTensor;
  const model = tfjs.model({ inputs: input, outputs: y, name: 'tiny' });
  for (const layer of model.layers) {
    const values = layer.weights.map((lv) => {
      const shape = lv.shape as number[];
      const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
      // BN's moving variance must be positive; everything else is a small random number.
      const variance = lv.originalName.endsWith('moving_variance');
      for (let i = 0; i < v.length; i++) v[i] = variance ? 0.5 + rng.next() : rng.normal() * 0.3;
      return tf.tensor(v, shape);
    });
    if (values.length > 0) layer.setWeights(values);
    values.forEach((t) => t.dispose());
  }
  await model.save(fileSaveHandler(dir, opts.metadata));
  model.dispose();
  return join(dir, 'model.json');
}

/** The GraphModel's weights, for a naive reference: filter [3, 3, 1, 4] and bias [4]. */
export function graphWeights(): { filter: Float32Array; bias: Float32Array } {
  const rng = new Rng(11);
  return { filter: Float32Array.from({ length: 36 }, () => rng.normal() * 0.5), bias: Float32Array.from({ length: 4 }, () => rng.normal() * 0.1) };
}

export function writeGraphBackbone(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const float = { type: 'DT_FLOAT' };
  const dims = (ds: number[]) => ({ dim: ds.map((d) => ({ size: String(d) })) });
  const json = {
    format: 'graph-model',
    generatedBy: '2.15.0',
    convertedBy: 'hand-written for xbm-drift tests',
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: dims([-1, -1, -1, 1]) } } },
        { name: 'filter', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims([3, 3, 1, 4]) } } } },
        { name: 'bias', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims([4]) } } } },
        {
          name: 'conv', op: 'Conv2D', input: ['x', 'filter'],
          attr: { T: float, strides: { list: { i: ['1', '1', '1', '1'] } }, padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') }, dilations: { list: { i: ['1', '1', '1', '1'] } }, use_cudnn_on_gpu: { b: true } },
        },
        { name: 'biasadd', op: 'BiasAdd', input: ['conv', 'bias'], attr: { T: float, data_format: { s: b64('NHWC') } } },
        { name: 'features', op: 'Relu', input: ['biasadd'], attr: { T: float } },
      ],
      library: {},
      versions: { producer: 1482 },
    },
    weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'filter', shape: [3, 3, 1, 4], dtype: 'float32' }, { name: 'bias', shape: [4], dtype: 'float32' }] }],
  };
  const { filter, bias } = graphWeights();
  const data = new Float32Array(40);
  data.set(filter, 0);
  data.set(bias, 36);
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(data.buffer));
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return join(dir, 'model.json');
}
