import { UserError } from '../errors.js';
import type { FlagSpec, GivenFlags, TakeDefault } from '../flag-spec.js';
import { configMessages } from '../messages/config.js';

/**
 * The backends and the flags each reads, without loading TensorFlow.js: the config validates
 * --backend and its flags, and the CLI lists its choices and options, from here (a family of
 * components chosen by --backend, config/component-flags.ts); init-backend.ts (which loads tfjs)
 * re-exports the names.
 */

/** wasm's thread count; 'auto' reads it too, for when it falls to wasm (the GPU and tfjs-node backends pick their own). */
export const THREADS_FLAG = { name: 'threads', type: 'number', describe: 'wasm threads, also used by auto when it falls to wasm' } as const satisfies FlagSpec;

/**
 * What the backends' flags set: config.json's top-level fields (TrainConfig extends it), as in
 * BACKEND_UNSET for a backend that does not read the flag. A new backend flag is written here
 * only: its spec (in BackendFlagSpec), its field, and the fromFlags of the backends that read it.
 */
export interface BackendSettings {
  /** wasm threads; null: the machine's cores (init-backend.ts resolves it when the backend starts) */
  threads: number | null;
}
export const BACKEND_UNSET: BackendSettings = { threads: null };

const threadsFromFlags = (flags: GivenFlags, take: TakeDefault): Partial<BackendSettings> => {
  const threads = take<number | null>(THREADS_FLAG.name, flags.threads as number | undefined, null);
  if (threads !== null && (!Number.isInteger(threads) || threads < 1)) throw new UserError(configMessages.positiveInteger('--threads', threads));
  return { threads };
};
const READS_THREADS = { flags: [THREADS_FLAG], defaults: { threads: "the machine's cores" }, fromFlags: threadsFromFlags } as const;

/**
 * Every backend --backend chooses, with the flags it reads and how it reads them (its settings,
 * config.json's top-level fields). 'auto' tries the others in init-backend.ts's AUTO_ORDER.
 */
export const BACKENDS = [
  { kind: 'auto', ...READS_THREADS },
  { kind: 'node-gpu' },
  { kind: 'webgpu' },
  { kind: 'node' },
  { kind: 'wasm', ...READS_THREADS },
  { kind: 'cpu' },
] as const;

export type BackendChoice = (typeof BACKENDS)[number]['kind'];
export const BACKEND_CHOICES: readonly BackendChoice[] = BACKENDS.map((b) => b.kind);
/** The flags the backends declare (part of the typed train flags). */
export type BackendFlagSpec = typeof THREADS_FLAG;
