import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';
import { Rng, type RngState } from '../random.js';
import { sortedClasses } from './array-split.js';
import { indicesByClass } from './split-rules.js';

export interface Sampler {
  readonly batchSize: number;
  /** indices into the train split */
  next(): Int32Array;
  /** completed passes over the split: images served / split size */
  readonly epoch: number;
  /** JSON-serialisable; restoreSampler continues the exact same sequence */
  state(): SamplerState;
}

export type SamplerConfig =
  | { kind: 'pk'; classesPerBatch: number; perClass: number }
  | { kind: 'shuffle'; batchSize: number };

/**
 * A shuffled pass is reproduced from the generator state before its shuffle, so a sampler's
 * state stays small (O(classes), not O(images)) and replays exactly.
 */
export interface CycleState {
  passStart: RngState;
  pos: number;
  /** items of the previous pass taken in the same draw, moved to the end of this pass */
  carry: number[];
}

export type SamplerState = {
  version: 1;
  /** images served so far */
  served: number;
  /** size and checksum of the labels, to refuse a state from another split */
  labels: { size: number; checksum: number };
} & (
  | { kind: 'pk'; classesPerBatch: number; perClass: number; classCycle: CycleState; imageCycles: CycleState[] }
  | { kind: 'shuffle'; batchSize: number; cycle: CycleState }
);

/**
 * An endless stream of `items` in shuffled passes. A draw of k <= items.length never repeats an
 * item: when a pass runs out mid-draw, the items already drawn go to the end of the next pass.
 */
export class Cycle {
  private readonly rng: Rng;
  private order!: Int32Array;
  private pos = 0;
  private passStart!: RngState;
  private carry: number[] = [];

  constructor(
    private readonly items: Int32Array,
    from: Rng | CycleState,
  ) {
    if (from instanceof Rng) {
      this.rng = from;
      this.newPass([]);
      return;
    }
    const ok =
      Array.isArray(from.passStart) && from.passStart.length === 4 &&
      Number.isInteger(from.pos) && from.pos >= 0 && from.pos <= items.length &&
      Array.isArray(from.carry) && from.carry.length < items.length;
    if (!ok) throw mismatch('a shuffled pass is malformed');
    this.rng = new Rng([...from.passStart] as RngState);
    this.newPass([...from.carry]);
    this.pos = from.pos;
  }

  private newPass(carry: number[]): void {
    this.passStart = this.rng.state();
    const order = this.rng.shuffle(this.items.slice());
    if (carry.length > 0) {
      const held = new Set(carry);
      const rest = order.filter((x) => !held.has(x));
      const back = order.filter((x) => held.has(x));
      order.set(rest, 0);
      order.set(back, rest.length);
    }
    this.order = order;
    this.carry = carry;
    this.pos = 0;
  }

  /** Write k items into out[at..at+k). With k > items.length items repeat (a small class). */
  take(k: number, out: Int32Array, at: number): void {
    const start = at;
    for (let r = 0; r < k; r++) {
      if (this.pos === this.order.length) {
        const drawn = Array.from(out.subarray(start, at));
        this.newPass(k <= this.items.length ? drawn : []);
      }
      out[at++] = this.order[this.pos++];
    }
  }

  state(): CycleState {
    return { passStart: [...this.passStart] as RngState, pos: this.pos, carry: [...this.carry] };
  }
}

function positiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new UserError(dataMessages.samplerNotPositive(name, value));
}

function mismatch(detail: string): UserError {
  return new UserError(dataMessages.samplerStateMismatch(detail));
}

function fingerprint(labels: Int32Array): { size: number; checksum: number } {
  // FNV-1a over the labels: cheap, and any reordering or relabelling changes it
  let h = 0x811c9dc5;
  for (let i = 0; i < labels.length; i++) {
    h = Math.imul(h ^ (labels[i] & 0xffff), 0x01000193) >>> 0;
    h = Math.imul(h ^ (labels[i] >>> 16), 0x01000193) >>> 0;
  }
  return { size: labels.length, checksum: h };
}

/**
 * P x K batches: P distinct classes, K images of each. Classes cycle in shuffled passes (so all
 * classes appear equally often) and each class cycles through its own shuffled images, so every
 * image is served before any repeats. A class with fewer than K images is sampled with
 * replacement: all its images, then repeats from its next pass (pytorch-metric-learning's
 * MPerClassSampler does the same), because real DML datasets have many small classes.
 */
class PkSampler implements Sampler {
  readonly batchSize: number;
  private readonly classes: number[];
  private readonly classCycle: Cycle;
  private readonly imageCycles: Cycle[];
  private served: number;

  constructor(
    private readonly cfg: { classesPerBatch: number; perClass: number },
    private readonly labels: Int32Array,
    source: { rng: Rng } | { state: Extract<SamplerState, { kind: 'pk' }> },
  ) {
    this.classes = sortedClasses(labels);
    const byClass = indicesByClass(labels);
    this.batchSize = cfg.classesPerBatch * cfg.perClass;
    const classIdx = Int32Array.from(this.classes.keys());
    if ('rng' in source) {
      this.served = 0;
      this.classCycle = new Cycle(classIdx, source.rng.fork());
      this.imageCycles = this.classes.map((c) => new Cycle(Int32Array.from(byClass.get(c)!), source.rng.fork()));
    } else {
      const s = source.state;
      if (s.imageCycles.length !== this.classes.length) throw mismatch(`${s.imageCycles.length} classes saved, ${this.classes.length} now`);
      this.served = s.served;
      this.classCycle = new Cycle(classIdx, s.classCycle);
      this.imageCycles = this.classes.map((c, i) => new Cycle(Int32Array.from(byClass.get(c)!), s.imageCycles[i]));
    }
  }

  get epoch(): number {
    return this.served / this.labels.length;
  }

  next(): Int32Array {
    const { classesPerBatch: p, perClass: k } = this.cfg;
    const picked = new Int32Array(p);
    this.classCycle.take(p, picked, 0);
    const out = new Int32Array(p * k);
    for (let i = 0; i < p; i++) this.imageCycles[picked[i]].take(k, out, i * k);
    this.served += out.length;
    return out;
  }

  state(): SamplerState {
    return {
      version: 1,
      kind: 'pk',
      ...this.cfg,
      served: this.served,
      labels: fingerprint(this.labels),
      classCycle: this.classCycle.state(),
      imageCycles: this.imageCycles.map((c) => c.state()),
    };
  }
}

/** Plain epoch shuffle; a batch that straddles two epochs still holds distinct images. */
class ShuffleSampler implements Sampler {
  private readonly cycle: Cycle;
  private served: number;

  constructor(
    readonly batchSize: number,
    private readonly labels: Int32Array,
    source: { rng: Rng } | { state: Extract<SamplerState, { kind: 'shuffle' }> },
  ) {
    const all = Int32Array.from(labels.keys());
    if ('rng' in source) {
      this.served = 0;
      this.cycle = new Cycle(all, source.rng.fork());
    } else {
      this.served = source.state.served;
      this.cycle = new Cycle(all, source.state.cycle);
    }
  }

  get epoch(): number {
    return this.served / this.labels.length;
  }

  next(): Int32Array {
    const out = new Int32Array(this.batchSize);
    this.cycle.take(this.batchSize, out, 0);
    this.served += out.length;
    return out;
  }

  state(): SamplerState {
    return {
      version: 1,
      kind: 'shuffle',
      batchSize: this.batchSize,
      served: this.served,
      labels: fingerprint(this.labels),
      cycle: this.cycle.state(),
    };
  }
}

function checkConfig(cfg: SamplerConfig, labels: Int32Array): void {
  if (labels.length === 0) throw new UserError(dataMessages.samplerEmpty());
  if (cfg.kind === 'pk') {
    positiveInt('classesPerBatch', cfg.classesPerBatch);
    positiveInt('perClass', cfg.perClass);
    const classes = sortedClasses(labels).length;
    if (cfg.classesPerBatch > classes) throw new UserError(dataMessages.samplerTooManyClasses(cfg.classesPerBatch, classes));
  } else {
    positiveInt('batchSize', cfg.batchSize);
    if (cfg.batchSize > labels.length) throw new UserError(dataMessages.samplerBatchTooLarge(cfg.batchSize, labels.length));
  }
}

/** A sampler over the train split's labels; it forks its own generators from `rng`. */
export function createSampler(cfg: SamplerConfig, labels: Int32Array, rng: Rng): Sampler {
  checkConfig(cfg, labels);
  return cfg.kind === 'pk'
    ? new PkSampler({ classesPerBatch: cfg.classesPerBatch, perClass: cfg.perClass }, labels, { rng })
    : new ShuffleSampler(cfg.batchSize, labels, { rng });
}

/** Continue a sampler from state(): the following batches are exactly those it would have drawn. */
export function restoreSampler(state: SamplerState, labels: Int32Array): Sampler {
  if (state?.version !== 1) throw mismatch(`unknown state version ${String(state?.version)}`);
  const now = fingerprint(labels);
  if (state.labels.size !== now.size || state.labels.checksum !== now.checksum) {
    throw mismatch(`saved for ${state.labels.size} images, the split has ${now.size}${state.labels.size === now.size ? ' with other labels' : ''}`);
  }
  if (state.kind === 'pk') {
    checkConfig({ kind: 'pk', classesPerBatch: state.classesPerBatch, perClass: state.perClass }, labels);
    return new PkSampler({ classesPerBatch: state.classesPerBatch, perClass: state.perClass }, labels, { state });
  }
  checkConfig({ kind: 'shuffle', batchSize: state.batchSize }, labels);
  return new ShuffleSampler(state.batchSize, labels, { state });
}
