import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { tf } from '../backend/tf.js';
import { UserError } from '../errors.js';
import { modelMessages as M } from '../messages/model.js';

/**
 * TensorFlow.js model files (model.json + weight shards) read and written with node:fs, so loading
 * a backbone does not depend on tfjs-node's file:// handlers (absent on the wasm and cpu paths).
 * The format is tfjs's own: what tensorflowjs_converter writes and what tf.io.browserFiles reads.
 */

/** model.json as written by tensorflowjs_converter or LayersModel.save. */
export interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: Record<string, unknown>;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  signature?: object;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: object;
  trainingConfig?: object;
}

export type ModelFormat = 'layers-model' | 'graph-model';

/** `path` (a model.json or the folder holding one) resolved to the model.json's absolute path. */
export function modelJsonPath(path: string): string {
  const p = resolve(path);
  return existsSync(p) && statSync(p).isDirectory() ? join(p, 'model.json') : p;
}

/** Reads and checks model.json: a one-line UserError for a missing file, bad JSON or a file that is not a model. */
export function readModelJson(path: string, shown = path): { json: ModelJson; format: ModelFormat } {
  if (!existsSync(path)) throw new UserError(M.backboneMissing(shown));
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(M.backboneUnreadable(shown, (e as NodeJS.ErrnoException).code ?? (e as Error).message));
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch {
    throw new UserError(M.backboneNotJson(shown));
  }
  const topo = json && typeof json === 'object' ? json.modelTopology : undefined;
  if (!topo || typeof topo !== 'object') throw new UserError(M.backboneNotModel(shown));
  // Keras topologies (LayersModel) carry class_name/config, or model_config when saved with a training config;
  // TensorFlow graphs (GraphModel) carry a node list.
  if (json.format === 'graph-model' || Array.isArray((topo as { node?: unknown }).node)) return { json, format: 'graph-model' };
  if ('class_name' in topo || 'model_config' in topo) return { json, format: 'layers-model' };
  throw new UserError(M.backboneNotModel(shown));
}

/** An IOHandler whose load() reads model.json and its shards from disk (checked against the manifest). */
export function fileLoadHandler(path: string, shown = path): tf.io.IOHandler {
  return {
    load: async () => {
      const { json } = readModelJson(path, shown);
      const dir = dirname(path);
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of json.weightsManifest ?? []) {
        weightSpecs.push(...group.weights);
        for (const shard of group.paths) {
          const file = join(dir, shard);
          if (!existsSync(file)) throw new UserError(M.backboneShardMissing(shown, shard));
          buffers.push(readFileSync(file));
        }
      }
      const total = buffers.reduce((n, b) => n + b.byteLength, 0);
      const expected = weightSpecs.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * bytesPer(w), 0);
      if (total !== expected) throw new UserError(M.backboneShardSize(shown, total, expected));
      const weightData = new Uint8Array(total);
      let at = 0;
      for (const b of buffers) {
        weightData.set(b, at);
        at += b.byteLength;
      }
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        weightSpecs,
        weightData: weightData.buffer,
        trainingConfig: json.trainingConfig as tf.io.ModelArtifacts['trainingConfig'],
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
        modelInitializer: json.modelInitializer,
      };
    },
  };
}

function bytesPer(w: tf.io.WeightsManifestEntry): number {
  if (w.quantization) return w.quantization.dtype === 'uint8' ? 1 : w.quantization.dtype === 'float16' ? 2 : 2;
  return w.dtype === 'bool' ? 1 : 4;
}

/**
 * An IOHandler whose save() writes `dir`/model.json + weights.bin (one shard, as LayersModel.save
 * with a file:// handler would), plus `extraFiles` (a README). Atomic: everything goes to a sibling temporary folder that is then
 * renamed over `dir`; a failed write leaves no temporary and the previous folder intact.
 */
export function fileSaveHandler(dir: string, metadata?: Record<string, unknown>, extraFiles: Record<string, string> = {}): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      const target = resolve(dir);
      const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
      rmSync(tmp, { recursive: true, force: true });
      const data = artifacts.weightData === undefined ? new Uint8Array(0) : new Uint8Array(tf.io.concatenateArrayBuffers(
        Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData],
      ));
      const json: ModelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology as Record<string, unknown>,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.signature ? { signature: artifacts.signature } : {}),
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(metadata || artifacts.userDefinedMetadata ? { userDefinedMetadata: { ...artifacts.userDefinedMetadata, ...metadata } } : {}),
      };
      try {
        mkdirSync(tmp, { recursive: true });
        writeFileSync(join(tmp, 'weights.bin'), data);
        writeFileSync(join(tmp, 'model.json'), JSON.stringify(json));
        for (const [name, text] of Object.entries(extraFiles)) writeFileSync(join(tmp, name), text);
        rmSync(target, { recursive: true, force: true });
        renameSync(tmp, target);
      } catch (e) {
        rmSync(tmp, { recursive: true, force: true });
        throw e;
      }
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: data.buffer }) };
    },
  };
}
