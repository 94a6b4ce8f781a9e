import type { TrainConfig } from '../config/train-config.js';
import { isImageDatasetSpec } from '../data/registry.js';
import type { Dataset } from '../data/types.js';
import { createBackboneEmbedder } from '../model/backbone.js';
import { createEmbedder, type Embedder } from '../model/embedder.js';
import type { Rng } from '../random.js';
import { resolveBackboneSource } from './pretrain.js';

/**
 * The run's embedder: the built-in `config.model` from scratch, or `config.backbone` (loaded,
 * checked against the dataset's image shape and normalisation; a built-in one built on first use)
 * with a head of width `config.model.dim`. Refuses a bad backbone with a one-line UserError before
 * anything is written. The caller owns the result (tf.disposeVariables, then model.dispose?.()).
 */
export async function createModel(
  config: Pick<TrainConfig, 'model' | 'backbone' | 'dataset' | 'backend' | 'threads'>,
  dataset: Dataset,
  rng: Rng,
  log?: (line: string) => void,
): Promise<Embedder> {
  if (!config.backbone) return createEmbedder(config.model, dataset.imageShape, rng);
  const path = await resolveBackboneSource(config.backbone.source, { backend: config.backend, threads: config.threads ?? undefined, log });
  const image = isImageDatasetSpec(config.dataset.spec);
  return createBackboneEmbedder(config.backbone, path, config.model.dim, {
    dataset: config.dataset.spec,
    imageShape: dataset.imageShape,
    // What the dataset hands the model: image datasets normalise (ImageNet by default), digits are in [0, 1].
    normalization: image ? (config.dataset.image?.normalization ?? 'imagenet') : 'none',
    resizable: image,
  }, rng);
}
