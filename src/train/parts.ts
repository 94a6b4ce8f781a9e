import type { FloatEntry } from '../io/float-bundle.js';
import type { EvalRow, MetricsRow } from '../io/tables.js';
import type { CrossBatchMemory, CrossBatchMemoryState } from '../memory/cross-batch-memory.js';
import type { MemoryAdapter } from '../memory/adapt/index.js';
import { UserError } from '../errors.js';
import { trainMessages as M } from '../messages/train.js';
import type { KeyEncoder } from './key-encoder.js';

/** What a checkpoint holds of a part: its fields in state.json, and its large float state (binary, by name). */
export interface SavedPart {
  state?: Record<string, unknown>;
  floats?: FloatEntry[];
}

/** What a part is restored from: the checkpoint's state.json and floats, and the table rows kept up to it. */
export interface RestoreFrom {
  iteration: number;
  state: Record<string, unknown>;
  floats: ReadonlyMap<string, FloatEntry>;
  /** the floats file, named in errors */
  floatsFile: string;
  metrics: readonly MetricsRow[];
  evals: readonly EvalRow[];
}

/**
 * A stateful part of training: what a checkpoint saves of it and how a resume brings it back, so
 * the resumed run continues bit for bit. The trainer lists its parts once (the loop's counters,
 * the batches with smart mining, the memory, its compensation, the key encoder, the instruments)
 * and saves and restores them all the same way; a new part is one more entry in that list.
 */
export interface TrainingPart {
  save(): SavedPart | Promise<SavedPart>;
  restore(from: RestoreFrom): void;
}

/** Every part's state.json fields, merged, and their floats. */
export async function saveParts(parts: readonly TrainingPart[]): Promise<{ state: Record<string, unknown>; floats: FloatEntry[] }> {
  const saved: SavedPart[] = [];
  for (const part of parts) saved.push(await part.save());
  return { state: Object.assign({}, ...saved.map((s) => s.state ?? {})), floats: saved.flatMap((s) => s.floats ?? []) };
}

export function restoreParts(parts: readonly TrainingPart[], from: RestoreFrom): void {
  for (const part of parts) part.restore(from);
}

const MEMORY_EMBEDDINGS = 'memory/embeddings';
const ADAPT_STATE = 'adapt/state';

/** The memory: its slots in state.json, its embeddings as floats ('memory/embeddings'). */
export function memoryPart(memory: CrossBatchMemory): TrainingPart {
  return {
    save: () => {
      const m = memory.state();
      return { state: { memory: { ...m, embeddings: [] } }, floats: [{ name: MEMORY_EMBEDDINGS, shape: [m.size, m.dim], values: Float32Array.from(m.embeddings) }] };
    },
    restore: ({ state, floats, floatsFile }) => {
      const saved = state.memory as CrossBatchMemoryState | null | undefined;
      if (!saved) return;
      const embeddings = floats.get(MEMORY_EMBEDDINGS);
      if (!embeddings) throw new UserError(M.badCheckpoint(floatsFile, `no ${MEMORY_EMBEDDINGS}`));
      memory.load({ ...saved, embeddings: Array.from(embeddings.values) });
    },
  };
}

/** The memory compensation's own state (--xbm-adapt), as floats ('adapt/state'). */
export function adapterPart(adapter: MemoryAdapter): TrainingPart {
  return {
    save: () => {
      const values = adapter.state?.() ?? null;
      return { floats: values ? [{ name: ADAPT_STATE, shape: [values.length], values }] : [] };
    },
    restore: ({ floats }) => {
      const saved = floats.get(ADAPT_STATE);
      if (saved) adapter.restore?.(saved.values);
    },
  };
}

/** The momentum key encoder's weights (--xbm-adapt momentum). */
export function keyEncoderPart(keys: KeyEncoder): TrainingPart {
  return {
    save: async () => ({ floats: await keys.state() }),
    restore: ({ floats, floatsFile }) => keys.restore(floats, floatsFile),
  };
}

/** The loop's own counters: the iteration and the memory loss when XBM switched on (for the explosion warning). */
export class LoopState implements TrainingPart {
  firstMemoryLoss: number | null = null;
  private warned = false;

  constructor(public iteration: number) {}

  save(): SavedPart {
    return { state: { iteration: this.iteration, firstMemoryLoss: this.firstMemoryLoss } };
  }

  /** Once a session: the memory loss grew tenfold over its value when XBM started (a sign of collapse). */
  warnExplosion(memoryLoss: number): boolean {
    const first = this.firstMemoryLoss;
    if (this.warned || first === null || !(first > 0) || !(memoryLoss > 10 * first)) return false;
    this.warned = true;
    return true;
  }

  restore({ iteration, state }: RestoreFrom): void {
    this.iteration = iteration;
    this.firstMemoryLoss = (state.firstMemoryLoss as number | null | undefined) ?? null;
  }
}
