import { UserError } from '../../errors.js';
import { configMessages } from '../../messages/config.js';
import { cnn } from './cnn.js';
import { mlp } from './mlp.js';
import type { ModelKind } from './model-kind.js';

/**
 * Every built-in model architecture (--model), one line each (a new one: a file exporting a
 * ModelKind and a line here). The first is the default. No tfjs here.
 */
export const MODEL_KINDS = [cnn, mlp] as const;

type ConfigOf<K> = K extends ModelKind<infer C> ? C : never;
/** A built-in model as configured (config.json `model`). */
export type ModelConfig = ConfigOf<(typeof MODEL_KINDS)[number]>;
export type ModelKindName = ModelConfig['kind'];
export const MODEL_KIND_NAMES: readonly ModelKindName[] = MODEL_KINDS.map((k) => k.kind);

/** The registered model kind of this config or name, or a UserError listing them. */
export function modelKind<C extends ModelConfig>(kind: C['kind'] | string): ModelKind<C> {
  const k = MODEL_KINDS.find((m) => m.kind === kind);
  if (!k) throw new UserError(configMessages.unknownChoice('--model', String(kind), MODEL_KIND_NAMES));
  return k as unknown as ModelKind<C>;
}

export type { InputShape, MakeParam, ModelKind } from './model-kind.js';
