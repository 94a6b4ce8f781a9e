import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../backend/tf.js';
import type { Embedder } from '../model/embedder.js';
import { readFloatBundle, writeFloatBundle, type FloatEntry } from '../io/float-bundle.js';
import { writeJsonAtomic } from '../io/atomic-write.js';

/**
 * A checkpoint is a folder checkpoints/iter-NNNNNN/ with the model weights (weights.bin/.json),
 * the optimizer's slots (optimizer.bin/.json) and the trainer state (state.json: iteration,
 * sampler state, XBM state) and large float state such as the memory's embeddings (floats.bin/.json,
 * binary rather than JSON numbers). It is written under a temporary name and renamed;
 * checkpoints/latest.json then points at it, so a crash never leaves a half checkpoint "latest".
 */
export interface CheckpointPointer { iteration: number; dir: string }

export async function saveCheckpoint(
  checkpointsDir: string,
  iteration: number,
  model: Embedder,
  optimizer: tf.Optimizer,
  state: object,
  floats: FloatEntry[] = [],
): Promise<string> {
  const name = `iter-${String(iteration).padStart(6, '0')}`;
  const tmp = join(checkpointsDir, `${name}.tmp`);
  const final = join(checkpointsDir, name);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFloatBundle(tmp, 'weights', model.variables.map((v) => ({ name: v.name, shape: v.shape, values: v.dataSync() as Float32Array })));
  const slots = await optimizer.getWeights();
  writeFloatBundle(tmp, 'optimizer', slots.map((s) => ({ name: s.name, shape: s.tensor.shape, values: Float32Array.from(s.tensor.dataSync()) })));
  writeFloatBundle(tmp, 'floats', floats);
  writeJsonAtomic(join(tmp, 'state.json'), state);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  writeJsonAtomic(join(checkpointsDir, 'latest.json'), { iteration, dir: name } satisfies CheckpointPointer);
  // Keep only the newest checkpoint: a run folder should not grow with its length.
  for (const entry of readdirSync(checkpointsDir)) {
    if (entry !== name && entry.startsWith('iter-')) rmSync(join(checkpointsDir, entry), { recursive: true, force: true });
  }
  return final;
}

export function latestCheckpoint(checkpointsDir: string): (CheckpointPointer & { path: string }) | null {
  const pointer = join(checkpointsDir, 'latest.json');
  if (!existsSync(pointer)) return null;
  const p = JSON.parse(readFileSync(pointer, 'utf8')) as CheckpointPointer;
  const path = join(checkpointsDir, p.dir);
  return existsSync(path) ? { ...p, path } : null;
}

/** Load weights into the model's variables (matched by name and shape). */
export function loadWeights(checkpointPath: string, model: Embedder): void {
  const byName = new Map(readFloatBundle(checkpointPath, 'weights').map((e) => [e.name, e]));
  for (const v of model.variables) {
    const e = byName.get(v.name);
    if (!e || e.shape.join('x') !== v.shape.join('x')) {
      throw new Error(`checkpoint ${checkpointPath} has no weight ${v.name} of shape [${v.shape}]`);
    }
    tf.tidy(() => v.assign(tf.tensor(e.values, e.shape)));
  }
}

export async function loadOptimizer(checkpointPath: string, optimizer: tf.Optimizer): Promise<void> {
  const named = readFloatBundle(checkpointPath, 'optimizer').map((e) => ({ name: e.name, tensor: tf.tensor(e.values, e.shape) }));
  if (named.length > 0) await optimizer.setWeights(named);
  for (const n of named) n.tensor.dispose();
}

/** The large float state saved beside state.json, by name. */
export function loadFloats(checkpointPath: string): Map<string, FloatEntry> {
  return new Map(readFloatBundle(checkpointPath, 'floats').map((e) => [e.name, e]));
}

export function loadState<T>(checkpointPath: string): T {
  return JSON.parse(readFileSync(join(checkpointPath, 'state.json'), 'utf8')) as T;
}
