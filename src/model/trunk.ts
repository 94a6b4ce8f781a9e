import { tf, tfjs } from '../backend/tf.js';
import type { Rng } from '../random.js';
import type { EmbedderConfig } from './embedder.js';
import { modelKind } from './kinds/index.js';

/**
 * A built-in embedder's trunk (everything before its linear head) as a tfjs LayersModel, so
 * `pretrain` can save it in the format a converted Keras model has.
 * The layers are the model kind's own (model/kinds/), the same as createEmbedder's trunk.
 * Weights are drawn from `rng` (He-normal, zero biases), like createEmbedder: seeded, reproducible.
 */
export function buildTrunk(config: EmbedderConfig, inputShape: readonly [number, number, number], rng: Rng): tfjs.LayersModel {
  const model = tfjs.sequential();
  for (const layer of modelKind(config.kind).trunkLayers(config, inputShape, tfjs.layers)) model.add(layer);
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
