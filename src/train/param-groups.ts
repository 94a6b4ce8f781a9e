import { tf } from '../backend/tf.js';
import type { Embedder } from '../model/embedder.js';

/** tfjs-core's NamedTensor (not exported from its index). */
type NamedTensor = { name: string; tensor: tf.Tensor };

export interface OptimizerSettings { kind: 'adam' | 'sgd'; lr: number; momentum: number }

/**
 * The run's optimizer. An embedder with learning-rate groups (a backbone with --backbone-lr-mult)
 * gets one optimizer per group, each with lr x its multiplier.
 *
 * Why two optimizers rather than scaling the backbone's gradients by the multiplier: Adam divides
 * each step by the running RMS of the gradient, so a gradient scaled by m gives (nearly) the same
 * step: the multiplier would do nothing (exactly nothing but for epsilon). Separate optimizers with
 * learning rates lr and lr x m are exactly PyTorch's parameter groups, for Adam and SGD with
 * momentum alike: each variable's slots and update are the same as if that optimizer alone
 * owned it (Adam's moments are per variable, and both optimizers step every iteration, so their
 * bias corrections advance together).
 */
export function createOptimizer(settings: OptimizerSettings, model: Embedder): tf.Optimizer {
  const make = (lr: number) => (settings.kind === 'adam' ? tf.train.adam(lr) : tf.train.momentum(lr, settings.momentum));
  const groups = (model.lrGroups ?? []).filter((g) => g.lrMult !== 1 && g.variables.length > 0);
  if (groups.length === 0) return make(settings.lr);
  const grouped = new Set(groups.flatMap((g) => g.variables.map((v) => v.name)));
  const rest = model.variables.filter((v) => !grouped.has(v.name));
  return new GroupedOptimizer(make, settings.lr, [
    ...groups.map((g) => ({ name: g.name, lrMult: g.lrMult, names: new Set(g.variables.map((v) => v.name)) })),
    { name: 'rest', lrMult: 1, names: new Set(rest.map((v) => v.name)) },
  ]);
}

interface Part { name: string; lrMult: number; names: Set<string>; optimizer: tf.Optimizer }

/**
 * One optimizer per group of variables (by variable name), behind tf.Optimizer's interface, so the
 * training step calls minimize() as usual. Setting `learningRate` sets every part's lr x lrMult.
 * getWeights/setWeights prefix each part's slots with '<group>:' (the checkpoint's names).
 */
export class GroupedOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'GroupedOptimizer';
  }
  /** tf.Optimizer's own hasInstance says yes to every optimizer (duck typing); this class answers for itself. */
  static override [Symbol.hasInstance](instance: unknown): boolean {
    return typeof instance === 'object' && instance !== null && GroupedOptimizer.prototype.isPrototypeOf(instance);
  }
  private readonly partsList: Part[];
  private lr: number;

  constructor(make: (lr: number) => tf.Optimizer, lr: number, groups: { name: string; lrMult: number; names: Set<string> }[]) {
    super();
    this.lr = lr;
    this.partsList = groups.map((g) => ({ ...g, optimizer: make(lr * g.lrMult) }));
  }

  /** The trainer sets this every iteration (the schedule); each part follows with its multiplier. */
  get learningRate(): number {
    return this.lr;
  }
  set learningRate(lr: number) {
    this.lr = lr;
    for (const p of this.partsList) (p.optimizer as unknown as { learningRate: number }).learningRate = lr * p.lrMult;
  }

  parts(): readonly { name: string; optimizer: tf.Optimizer }[] {
    return this.partsList;
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list: NamedTensor[] = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    for (const p of this.partsList) {
      const mine = list.filter((g) => p.names.has(g.name) && g.tensor != null);
      if (mine.length > 0) p.optimizer.applyGradients(mine);
    }
    this.incrementIterations();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const all: NamedTensor[] = [];
    for (const p of this.partsList) all.push(...(await p.optimizer.getWeights()).map((w) => ({ name: `${p.name}:${w.name}`, tensor: w.tensor })));
    return all;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    for (const p of this.partsList) {
      const prefix = `${p.name}:`;
      const mine = weightValues.filter((w) => w.name.startsWith(prefix)).map((w) => ({ name: w.name.slice(prefix.length), tensor: w.tensor }));
      if (mine.length > 0) await p.optimizer.setWeights(mine);
    }
  }

  override dispose(): void {
    for (const p of this.partsList) p.optimizer.dispose();
    super.dispose();
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.lr, groups: this.partsList.map((p) => ({ name: p.name, lrMult: p.lrMult })) };
  }
}
