import { UserError } from '../errors.js';
import { miningMessages as M } from '../messages/mining.js';
import { Cycle, type CycleState, type Sampler, type SamplerState } from '../data/samplers.js';
import { indicesByClass } from '../data/split-rules.js';
import { Rng, type RngState } from '../random.js';
import { SmartController, type Adjustment, type ControllerSettings, type ControllerState } from './smart-controller.js';
import { mineBatch, type IndexedSplit, type MiningCounts } from './smart-miner.js';

export type SmartSamplerState = {
  version: 1;
  kind: 'smart';
  /** the ordinary sampler, which serves every batch until the first index exists */
  base: SamplerState;
  anchors: CycleState;
  rng: RngState;
  served: number;
  controller: ControllerState;
  /** counts since the last refresh */
  counts: MiningCounts;
  /** refreshes so far (run.json's summary survives a resume with the state it belongs to) */
  totals: RefreshTotals;
};

export interface RefreshTotals { refreshes: number; refreshMs: number; recallSum: number }

/**
 * Smart Mining's batches: until the first index exists, the ordinary sampler's; then anchors in
 * shuffled passes over the split (a plain epoch order, as the shuffle sampler draws them), each
 * followed by its nearest positive and negatives from its neighbourhood in the index (smart-miner.ts),
 * with the neighbourhood size from the adaptive controller. The index is set by the trainer at each
 * refresh; everything else (the base sampler, the anchor order, the generator, the controller) is
 * in state(), so a resumed run draws the same batches once the same index is set again.
 */
export class SmartSampler implements Sampler {
  readonly batchSize: number;
  readonly controller: SmartController;
  private readonly anchors: Cycle;
  private readonly rng: Rng;
  private readonly byClass: Map<number, Int32Array>;
  private served: number;
  private split: IndexedSplit | null = null;
  counts: MiningCounts;
  readonly totals: RefreshTotals;

  constructor(
    private readonly base: Sampler,
    private readonly labels: Int32Array,
    private readonly negatives: number,
    settings: ControllerSettings,
    controllerOn: boolean,
    source: { rng: Rng; neighbours: number } | { state: SmartSamplerState },
  ) {
    this.batchSize = base.batchSize;
    this.byClass = new Map([...indicesByClass(labels)].map(([c, ids]) => [c, Int32Array.from(ids)]));
    const all = Int32Array.from(labels.keys());
    if ('rng' in source) {
      this.anchors = new Cycle(all, source.rng.fork());
      this.rng = source.rng.fork();
      this.served = 0;
      this.controller = new SmartController(settings, controllerOn, source.neighbours);
      this.counts = { anchors: 0, positiveFallbacks: 0, negativeFallbacks: 0 };
      this.totals = { refreshes: 0, refreshMs: 0, recallSum: 0 };
    } else {
      const s = source.state;
      if (s?.version !== 1 || s.kind !== 'smart') throw new UserError(M.stateMismatch('not a smart-mining sampler state'));
      this.anchors = new Cycle(all, s.anchors);
      this.rng = new Rng([...s.rng] as RngState);
      this.served = s.served;
      this.controller = new SmartController(settings, controllerOn, s.controller);
      this.counts = { ...s.counts };
      this.totals = { ...s.totals };
    }
  }

  get epoch(): number {
    return this.served / this.labels.length;
  }

  get hasIndex(): boolean {
    return this.split !== null;
  }

  /** Mine from this index from the next batch on; returns the counts mined from the one it replaces. */
  useIndex(split: IndexedSplit): MiningCounts {
    const before = this.counts;
    this.split = split;
    this.counts = { anchors: 0, positiveFallbacks: 0, negativeFallbacks: 0 };
    return before;
  }

  next(): Int32Array {
    if (!this.split) {
      const ids = this.base.next();
      this.served += ids.length;
      return ids;
    }
    const one = new Int32Array(1);
    const nextAnchor = () => {
      this.anchors.take(1, one, 0);
      return one[0];
    };
    const ids = mineBatch(this.batchSize, nextAnchor, this.split, { negatives: this.negatives, neighbours: this.controller.neighbours }, this.rng, this.byClass, this.counts);
    this.served += ids.length;
    return ids;
  }

  /** The step's signal for the controller (only while mining from an index). */
  observe(t: number, activeFraction: number): Adjustment | null {
    return this.split ? this.controller.observe(t, activeFraction) : null;
  }

  state(): SamplerState {
    const s: SmartSamplerState = {
      version: 1,
      kind: 'smart',
      base: this.base.state(),
      anchors: this.anchors.state(),
      rng: this.rng.state(),
      served: this.served,
      controller: this.controller.snapshot(),
      counts: { ...this.counts },
      totals: { ...this.totals },
    };
    return s as unknown as SamplerState;
  }
}
