import { tf } from '../backend/tf.js';
import { UserError } from '../errors.js';
import { memoryMessages as M } from '../messages/memory.js';
import type { AdaptInput, ReturnedSample } from './adapt/adapter.js';

/** One stored embedding, as entries() reports it. */
export interface MemoryEntry {
  slot: number;
  sampleId: number;
  label: number;
  /** the iteration the embedding was computed and written at */
  iteration: number;
  embedding: Float32Array; // a copy
}

/** A checkpoint of the memory as plain arrays (JSON-safe): the filled slots 0..size-1 in slot order. */
export interface CrossBatchMemoryState {
  version: 1;
  capacity: number;
  dim: number;
  /** the slot the next row is written to */
  head: number;
  size: number;
  embeddings: number[]; // size * dim
  labels: number[];
  sampleIds: number[];
  iterations: number[];
}

/**
 * The cross-batch memory: a FIFO ring buffer of the last `capacity` embeddings with their
 * labels, sample ids and the iteration each was written at. Rows are written at `head`, which
 * wraps at any capacity (not only multiples of the batch size), so the oldest row is always the
 * one overwritten. Slots fill in order 0, 1, 2, ..., so the filled slots are always 0..size-1;
 * "full" is size === capacity, never inferred from label values (label 0 is ordinary).
 * Buffers are allocated once at construction: bytes = capacity * (4 * dim + 12).
 * Memory compensation (memory/adapt) acts through enqueue's refreshById, adaptRows (in-place
 * corrections) and returned (the batch's samples still stored, for SDC and the in-loss staleness);
 * none of them changes the slot layout's invariants, so state() and restore() are as before.
 */
export class CrossBatchMemory {
  readonly capacity: number;
  readonly dim: number;
  private readonly embeddings: Float32Array;
  private readonly labels: Int32Array;
  private readonly sampleIds: Int32Array;
  private readonly iterations: Int32Array;
  private head = 0;
  private filled = 0;
  private writes = 0;

  constructor(capacity: number, dim: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new UserError(M.badCapacity(capacity));
    if (!Number.isInteger(dim) || dim < 1) throw new UserError(M.badDim(dim));
    this.capacity = capacity;
    this.dim = dim;
    this.embeddings = new Float32Array(capacity * dim);
    this.labels = new Int32Array(capacity);
    this.sampleIds = new Int32Array(capacity);
    this.iterations = new Int32Array(capacity);
  }

  get size(): number {
    return this.filled;
  }

  /** Counts every write (enqueue, corrections, loads, clear): a device copy of the rows (train/device-step.ts) is current while it is unchanged. */
  get revision(): number {
    return this.writes;
  }

  /** Bytes held by the buffers (allocated at construction, whatever the fill). */
  get bytes(): number {
    return this.embeddings.byteLength + this.labels.byteLength + this.sampleIds.byteLength + this.iterations.byteLength;
  }

  /**
   * Writes n rows (embeddings n*dim, row-major), evicting the oldest. When n > capacity only the
   * last `capacity` rows are kept. With refreshById a row whose sample id is stored overwrites that
   * row in its slot instead (--xbm-adapt refresh-by-id); the state format is the same either way. Returns the slot each row went to (-1: not kept), which is
   * the column of that row in view(), for xbmLoss's self-exclusion.
   */
  enqueue(embeddings: Float32Array, labels: Int32Array, sampleIds: Int32Array, iteration: number, opts: { refreshById?: boolean } = {}): Int32Array {
    const n = labels.length;
    const { dim, capacity } = this;
    if (embeddings.length !== n * dim) throw new UserError(M.dimMismatch(embeddings.length, n, dim));
    if (sampleIds.length !== n) throw new UserError(M.lengthMismatch('sampleIds', sampleIds.length, n));
    if (!Number.isInteger(iteration)) throw new UserError(M.badIteration(iteration));
    const slots = new Int32Array(n).fill(-1);
    this.writes++;
    // refresh-by-id: the slot holding each id now (the newest copy if an older memory holds several).
    const held = opts.refreshById ? this.slotById() : null;
    for (let r = Math.max(0, n - capacity); r < n; r++) {
      const old = held?.get(sampleIds[r]);
      // A refresh rewrites its row where it is: the head, the fill and the other rows' order stay.
      const slot = old ?? this.head;
      if (held && old === undefined && this.filled === capacity && held.get(this.sampleIds[slot]) === slot) held.delete(this.sampleIds[slot]);
      this.embeddings.set(embeddings.subarray(r * dim, (r + 1) * dim), slot * dim);
      this.labels[slot] = labels[r];
      this.sampleIds[slot] = sampleIds[r];
      this.iterations[slot] = iteration;
      slots[r] = slot;
      if (old !== undefined) continue;
      held?.set(sampleIds[r], slot);
      this.head = (slot + 1) % capacity;
      this.filled = Math.min(capacity, this.filled + 1);
    }
    return slots;
  }

  /**
   * Writes row r of `rows` into slots[r] (-1: skipped), leaving labels, ids, ages and the ring as
   * they are: the device step (train/device-step.ts) enqueues a batch's bookkeeping before its
   * features are read back, then fills its slots with them after the update.
   */
  overwriteRows(slots: Int32Array, rows: Float32Array): void {
    const { dim } = this;
    if (rows.length !== slots.length * dim) throw new UserError(M.dimMismatch(rows.length, slots.length, dim));
    this.writes++;
    slots.forEach((slot, r) => {
      if (slot >= 0) this.embeddings.set(rows.subarray(r * dim, (r + 1) * dim), slot * dim);
    });
  }

  /** sample id -> the slot of its newest copy (the highest iteration; ties: the later slot in FIFO order). */
  private slotById(): Map<number, number> {
    const out = new Map<number, number>();
    for (const e of this.fifoSlots()) {
      const prev = out.get(this.sampleIds[e]);
      if (prev === undefined || this.iterations[e] >= this.iterations[prev]) out.set(this.sampleIds[e], e);
    }
    return out;
  }

  /** Filled slots, oldest written first. */
  private fifoSlots(): number[] {
    const oldest = this.filled < this.capacity ? 0 : this.head;
    return Array.from({ length: this.filled }, (_, k) => (oldest + k) % this.capacity);
  }

  /**
   * Each row of a batch (fresh embeddings, row-major) whose sample id is stored, paired with every
   * stored copy: ||fresh - stored||^2 is that sample's true drift over the copy's age. Read before
   * the batch is adapted for or enqueued, at no extra forward pass.
   */
  returned(fresh: Float32Array, sampleIds: Int32Array, iteration: number): ReturnedSample[] {
    const { dim } = this;
    const rowsOf = new Map<number, number[]>();
    sampleIds.forEach((id, row) => {
      const rows = rowsOf.get(id);
      if (rows) rows.push(row);
      else rowsOf.set(id, [row]);
    });
    const out: ReturnedSample[] = [];
    for (let slot = 0; slot < this.filled; slot++) {
      for (const row of rowsOf.get(this.sampleIds[slot]) ?? []) {
        let s = 0;
        for (let k = 0; k < dim; k++) {
          const d = fresh[row * dim + k] - this.embeddings[slot * dim + k];
          s += d * d;
        }
        out.push({ row, slot, age: iteration - this.iterations[slot], sqDrift: s });
      }
    }
    return out.sort((a, b) => a.row - b.row || a.slot - b.slot);
  }

  /** Lets a compensation strategy correct the filled rows in place (memory/adapt). */
  adaptRows(adapt: (input: AdaptInput) => void, batch: Float32Array, returned: readonly ReturnedSample[]): void {
    this.writes++;
    adapt({ rows: this.embeddings.subarray(0, this.filled * this.dim), size: this.filled, dim: this.dim, batch, returned });
  }

  /** Age of each filled slot, in slot order (the columns of view()). */
  slotAges(iteration: number): Int32Array {
    return Int32Array.from(this.iterations.subarray(0, this.filled), (written) => iteration - written);
  }

  /** Age (iteration - written iteration) of the stored rows; NaN when empty. */
  ages(iteration: number): { min: number; mean: number; max: number } {
    if (this.filled === 0) return { min: NaN, mean: NaN, max: NaN };
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let k = 0; k < this.filled; k++) {
      const age = iteration - this.iterations[k];
      min = Math.min(min, age);
      max = Math.max(max, age);
      sum += age;
    }
    return { min, mean: sum / this.filled, max };
  }

  /**
   * The filled slots in slot order, as new tensors the caller disposes: embeddings [size, dim]
   * float32 and labels [size] int32. They are copies (the cpu backend would otherwise alias the
   * buffer that the next enqueue overwrites) and carry no gradient.
   */
  view(): { embeddings: tf.Tensor2D; labels: tf.Tensor1D } {
    const n = this.filled;
    return {
      embeddings: tf.tensor2d(this.embeddings.slice(0, n * this.dim), [n, this.dim], 'float32'),
      labels: tf.tensor1d(this.labels.slice(0, n), 'int32'),
    };
  }

  /** The stored rows in FIFO order, oldest first (copies; for inspection and tests). */
  entries(): MemoryEntry[] {
    const out: MemoryEntry[] = [];
    const oldest = this.filled < this.capacity ? 0 : this.head;
    for (let k = 0; k < this.filled; k++) {
      const slot = (oldest + k) % this.capacity;
      out.push({
        slot,
        sampleId: this.sampleIds[slot],
        label: this.labels[slot],
        iteration: this.iterations[slot],
        embedding: this.embeddings.slice(slot * this.dim, (slot + 1) * this.dim),
      });
    }
    return out;
  }

  /** Empties the memory (the next row goes to slot 0). */
  clear(): void {
    this.head = 0;
    this.filled = 0;
    this.writes++;
  }

  state(): CrossBatchMemoryState {
    const n = this.filled;
    return {
      version: 1,
      capacity: this.capacity,
      dim: this.dim,
      head: this.head,
      size: n,
      embeddings: Array.from(this.embeddings.subarray(0, n * this.dim)),
      labels: Array.from(this.labels.subarray(0, n)),
      sampleIds: Array.from(this.sampleIds.subarray(0, n)),
      iterations: Array.from(this.iterations.subarray(0, n)),
    };
  }

  /** Rebuilds a memory from state(), slot for slot, so a resumed run sees the same view(). */
  static restore(state: CrossBatchMemoryState): CrossBatchMemory {
    if (state == null || state.version !== 1) throw new UserError(M.badState(`version ${state?.version}, expected 1`));
    const memory = new CrossBatchMemory(state.capacity, state.dim);
    memory.load(state);
    return memory;
  }

  /** This memory, slot for slot, as state() left it (a memory of the same capacity and width). */
  load(state: CrossBatchMemoryState): void {
    const bad = (detail: string) => new UserError(M.badState(detail));
    if (state == null || state.version !== 1) throw bad(`version ${state?.version}, expected 1`);
    const { capacity, dim, head, size } = state;
    if (capacity !== this.capacity || dim !== this.dim) throw bad(`capacity ${capacity} and width ${dim}, expected ${this.capacity} and ${this.dim}`);
    if (!Number.isInteger(size) || size < 0 || size > capacity) throw bad(`size ${size} with capacity ${capacity}`);
    // Slots fill from 0, so until the memory is full the next slot is its size.
    const headOk = Number.isInteger(head) && head >= 0 && head < capacity && (size === capacity || head === size);
    if (!headOk) throw bad(`head ${head} with size ${size} and capacity ${capacity}`);
    const lengths: [string, unknown, number][] = [
      ['embeddings', state.embeddings, size * dim],
      ['labels', state.labels, size],
      ['sampleIds', state.sampleIds, size],
      ['iterations', state.iterations, size],
    ];
    for (const [name, xs, want] of lengths) {
      if (!Array.isArray(xs) || xs.length !== want) throw bad(`${name} has ${Array.isArray(xs) ? xs.length : 'no'} values, expected ${want}`);
    }
    this.embeddings.set(state.embeddings);
    this.labels.set(state.labels);
    this.sampleIds.set(state.sampleIds);
    this.iterations.set(state.iterations);
    this.head = head;
    this.filled = size;
    this.writes++;
  }
}
