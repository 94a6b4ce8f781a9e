import { tf, tfjs } from '../backend/tf.js';
import type { Rng } from '../random.js';
import type { EmbedderConfig } from './embedder.js';

/**
 * A built-in embedder's trunk (everything before its linear head) as a tfjs LayersModel, so
 * `pretrain` can save it in the format a converted Keras model has.
 * - cnn: conv3x3-ReLU-maxpool2 ... conv3x3-ReLU, the same layers as createEmbedder's CNN; input
 *   [h?, w?, c] with free height and width: fully convolutional, so a trunk pretrained on 28x28
 *   digits applies to 28x56 and 28x84 composites (the head's global average pooling does the rest).
 * - mlp: flatten + dense-ReLU layers; fixed to the input shape it was built for.
 * Weights are drawn from `rng` (He-normal, zero biases), like createEmbedder: seeded, reproducible.
 */
export function buildTrunk(config: EmbedderConfig, inputShape: readonly [number, number, number], rng: Rng): tfjs.LayersModel {
  const [h, w, c] = inputShape;
  const model = tfjs.sequential();
  if (config.kind === 'cnn') {
    config.channels.forEach((filters, i) => {
      model.add(tfjs.layers.conv2d({
        name: `conv${i + 1}`, filters, kernelSize: 3, padding: 'same', activation: 'relu',
        ...(i === 0 ? { inputShape: [null, null, c] } : {}),
      }));
      if (i < config.channels.length - 1) model.add(tfjs.layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2, strides: 2, padding: 'valid' }));
    });
  } else {
    model.add(tfjs.layers.flatten({ name: 'flatten', inputShape: [h, w, c] }));
    config.hidden.forEach((units, i) => model.add(tfjs.layers.dense({ name: `dense${i + 1}`, units, activation: 'relu' })));
  }
  for (const layer of model.layers) {
    const shapes = layer.getWeights().map((t) => t.shape);
    if (shapes.length === 0) continue;
    const values = shapes.map((shape, k) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const v = new Float32Array(size);
      if (k === 0) {
        // kernel: fan-in is every dimension but the last (3*3*c for a conv, inputs for a dense)
        const std = Math.sqrt(2 / (size / shape[shape.length - 1]));
        for (let i = 0; i < size; i++) v[i] = rng.normal() * std;
      }
      return tf.tensor(v, shape);
    });
    layer.setWeights(values);
    for (const t of values) t.dispose();
  }
  return model;
}
