import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../backend/tf.js';
import { checkpointVariables, type Embedder } from '../model/embedder.js';
import { GroupedOptimizer } from './param-groups.js';
import { readFloatBundle, writeFloatBundle, type FloatEntry } from '../io/float-bundle.js';
import { writeJsonAtomic } from '../io/atomic-write.js';
import { UserError } from '../errors.js';
import { trainMessages as M } from '../messages/train.js';

/**
 * A checkpoint is a folder checkpoints/iter-NNNNNN/ with the model weights (weights.bin/.json),
 * the optimizer's slots (optimizer.bin/.json) and the trainer state (state.json: iteration,
 * sampler state, XBM state) and large float state such as the memory's embeddings (floats.bin/.json,
 * binary rather than JSON numbers). It is written under a temporary name, state.json last, and
 * renamed: a folder iter-NNNNNN/ holding state.json is complete. checkpoints/latest.json then
 * points at it, for readers; resuming trusts the folders, so a kill between the rename and
 * latest.json loses nothing (`latestCheckpoint`).
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
  const name = checkpointName(iteration);
  const tmp = join(checkpointsDir, `${name}.tmp`);
  const final = join(checkpointsDir, name);
  // Saved again at the same iteration (an interrupt right after a scheduled checkpoint, a record
  // closed on resume): the state is the same, and the complete folder is never taken apart.
  if (!isComplete(final)) await writeCheckpoint(final, tmp, model, optimizer, state, floats);
  writeJsonAtomic(join(checkpointsDir, 'latest.json'), { iteration, dir: name } satisfies CheckpointPointer);
  // Keep only the newest checkpoint: a run folder should not grow with its length.
  for (const entry of readdirSync(checkpointsDir)) {
    if (entry !== name && entry.startsWith('iter-')) rmSync(join(checkpointsDir, entry), { recursive: true, force: true });
  }
  return final;
}

async function writeCheckpoint(final: string, tmp: string, model: Embedder, optimizer: tf.Optimizer, state: object, floats: FloatEntry[]): Promise<void> {
  rmSync(tmp, { recursive: true, force: true });
  try {
    mkdirSync(tmp, { recursive: true });
    // Every variable under its stable key: a backbone's frozen weights and BatchNorm statistics too, so a
    // resume does not depend on the backbone file staying as it was.
    // Asynchronous reads: webgpu has no others (cpu and wasm answer at once).
    const read = async (t: tf.Tensor) => Float32Array.from(await t.data());
    writeFloatBundle(tmp, 'weights', await Promise.all(checkpointVariables(model).map(async ({ key, variable: v }) => ({ name: key, shape: v.shape, values: await read(v) }))));
    const slots = await optimizer.getWeights();
    writeFloatBundle(tmp, 'optimizer', [
      ...(await Promise.all(slots.map(async (s) => ({ name: s.name, shape: s.tensor.shape, values: await read(s.tensor) })))),
      ...(await Promise.all(hiddenSlots(optimizer).map(async ([name, v]) => ({ name, shape: [] as number[], values: await read(v) })))),
    ]);
    writeFloatBundle(tmp, 'floats', floats);
    // Last: its presence is what makes the folder complete (isComplete).
    writeJsonAtomic(join(tmp, STATE_FILE), state);
  } catch (e) {
    // A full disk: no half checkpoint stays behind; the previous one is still the newest.
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  rmSync(final, { recursive: true, force: true }); // an incomplete leftover of a killed removal
  renameSync(tmp, final);
}

const STATE_FILE = 'state.json';
const CHECKPOINT_DIR = /^iter-(\d+)$/;

function checkpointName(iteration: number): string {
  return `iter-${String(iteration).padStart(6, '0')}`;
}

/** A checkpoint folder the writer finished: renamed from its temporary name, with state.json (written last). */
function isComplete(dir: string): boolean {
  return existsSync(join(dir, STATE_FILE));
}

/**
 * The newest complete checkpoint on disk, or null. Read from the folders rather than latest.json,
 * which is written after the rename: a kill in between leaves the newest checkpoint unnamed by it
 * (or latest.json damaged), and the folder is still whole.
 */
export function latestCheckpoint(checkpointsDir: string): (CheckpointPointer & { path: string }) | null {
  if (!existsSync(checkpointsDir)) return null;
  const complete = readdirSync(checkpointsDir)
    .map((dir) => ({ dir, iteration: Number(CHECKPOINT_DIR.exec(dir)?.[1] ?? NaN) }))
    .filter((c) => Number.isInteger(c.iteration) && isComplete(join(checkpointsDir, c.dir)))
    .sort((a, b) => b.iteration - a.iteration);
  const newest = complete[0];
  return newest ? { ...newest, path: join(checkpointsDir, newest.dir) } : null;
}

/** Load weights into the model's variables (matched by checkpoint key and shape). */
export function loadWeights(checkpointPath: string, model: Embedder): void {
  const byName = new Map(readBundle(checkpointPath, 'weights').map((e) => [e.name, e]));
  for (const { key, variable: v } of checkpointVariables(model)) {
    const e = byName.get(key);
    if (!e || e.shape.join('x') !== v.shape.join('x')) {
      throw new UserError(M.badCheckpoint(join(checkpointPath, 'weights.json'), `no weight ${key} of shape [${v.shape}]: the checkpoint does not match this run's model`));
    }
    tf.tidy(() => v.assign(tf.tensor(e.values, e.shape)));
  }
}

export async function loadOptimizer(checkpointPath: string, optimizer: tf.Optimizer): Promise<void> {
  const entries = readBundle(checkpointPath, 'optimizer');
  const hidden = new Map(hiddenSlots(optimizer));
  const named = entries.filter((e) => !hidden.has(e.name)).map((e) => ({ name: e.name, tensor: tf.tensor(e.values, e.shape) }));
  if (named.length > 0) await optimizer.setWeights(named);
  for (const n of named) n.tensor.dispose();
  // After setWeights, which recomputes these from the iteration count: the saved values win.
  tf.tidy(() => {
    for (const e of entries) hidden.get(e.name)?.assign(tf.scalar(e.values[0]));
  });
}

/** The large float state saved beside state.json, by name. */
export function loadFloats(checkpointPath: string): Map<string, FloatEntry> {
  return new Map(readBundle(checkpointPath, 'floats').map((e) => [e.name, e]));
}

export function loadState<T>(checkpointPath: string): T {
  return readJson<T>(join(checkpointPath, STATE_FILE));
}

/**
 * Optimizer state that getWeights() leaves out. tfjs's Adam keeps beta1^t and beta2^t as running
 * products and on setWeights rebuilds them with pow(beta, t + 1); the two differ in the last bits
 * of float32, and a resumed run then drifts away from the uninterrupted one. Saved and restored
 * as they are, resume is bit-identical.
 */
function hiddenSlots(optimizer: tf.Optimizer): [string, tf.Variable][] {
  // One optimizer per learning-rate group (param-groups.ts): each part's, under its prefix.
  if (optimizer instanceof GroupedOptimizer) return optimizer.parts().flatMap((p) => hiddenSlots(p.optimizer).map(([n, v]) => [`${p.name}:${n}`, v] as [string, tf.Variable]));
  const o = optimizer as unknown as Record<string, unknown>;
  return ['accBeta1', 'accBeta2'].flatMap((k) => (o[k] instanceof tf.Variable ? [[`__${k}`, o[k] as tf.Variable] as [string, tf.Variable]] : []));
}

function readJson<T>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(M.badCheckpoint(path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message));
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UserError(M.badCheckpoint(path, 'not valid JSON (truncated or edited)'));
  }
}

/** A float bundle whose .bin holds exactly what its manifest promises, or a UserError naming it. */
function readBundle(dir: string, name: string): FloatEntry[] {
  const manifest = join(dir, `${name}.json`);
  const bin = join(dir, `${name}.bin`);
  for (const f of [manifest, bin]) if (!existsSync(f)) throw new UserError(M.badCheckpoint(f, 'missing'));
  const { entries: listed } = readJson<{ entries: { shape: number[] }[] }>(manifest);
  const expected = listed.reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0);
  const bytes = statSync(bin).size;
  if (bytes !== expected * 4) throw new UserError(M.badCheckpoint(bin, `${bytes} bytes where ${expected * 4} were expected (truncated?)`));
  const entries = readFloatBundle(dir, name);
  for (const e of entries) {
    if (e.values.length !== e.shape.reduce((a, b) => a * b, 1)) throw new UserError(M.badCheckpoint(bin, `entry ${e.name} does not match its shape`));
  }
  return entries;
}
