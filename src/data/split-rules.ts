import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';
import { Rng } from '../random.js';
import type { DatasetOptions } from './types.js';

/** Validated options; one generator per purpose, so e.g. perClass never changes the class split. */
export function checkOptions(opts: DatasetOptions): { dataSeed: number; perClass: number | undefined } {
  const { dataSeed, perClass } = opts;
  if (!Number.isInteger(dataSeed) || dataSeed < 0 || dataSeed > 0xffffffff) {
    throw new UserError(dataMessages.dataSeedInvalid(dataSeed));
  }
  if (perClass !== undefined && (!Number.isInteger(perClass) || perClass < 1)) {
    throw new UserError(dataMessages.perClassInvalid(perClass));
  }
  return { dataSeed, perClass };
}

/** Independent, fixed streams derived from the data seed. */
export function dataRngs(dataSeed: number): { classSplit: Rng; subset: Rng; compose: Rng } {
  const root = new Rng(dataSeed);
  return { classSplit: root.fork(), subset: root.fork(), compose: root.fork() };
}

/** A seeded random half of the classes for training (the larger half if odd), both sorted. */
export function splitClasses(
  classes: readonly number[],
  rng: Rng,
  dataset: string,
): { train: number[]; test: number[] } {
  if (classes.length < 2) throw new UserError(dataMessages.tooFewClasses(dataset, classes.length));
  const order = rng.shuffle([...classes].sort((a, b) => a - b));
  const nTrain = Math.ceil(order.length / 2);
  const byValue = (a: number, b: number) => a - b;
  return { train: order.slice(0, nTrain).sort(byValue), test: order.slice(nTrain).sort(byValue) };
}

/** Positions of each label among `labels`, in file order. */
export function indicesByClass(labels: ArrayLike<number>): Map<number, number[]> {
  const by = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = by.get(labels[i]);
    if (list) list.push(i);
    else by.set(labels[i], [i]);
  }
  return by;
}

/**
 * perClass must fit every class of the dataset (train and test sources alike); the error names
 * the class that limits it and the largest value that works.
 */
export function checkPerClass(
  dataset: string,
  perClass: number | undefined,
  groups: readonly { byClass: Map<number, number[]>; classes: readonly number[] }[],
): void {
  if (perClass === undefined) return;
  let worst = { label: 0, count: Infinity };
  for (const { byClass, classes } of groups) {
    for (const c of classes) {
      const count = byClass.get(c)?.length ?? 0;
      if (count < worst.count) worst = { label: c, count };
    }
  }
  if (perClass > worst.count) throw new UserError(dataMessages.perClassTooLarge(dataset, perClass, worst.count, worst.label));
}

/** Rows of the given classes, at most perClass per class (a seeded random subset), in file order. */
export function selectRows(
  byClass: Map<number, number[]>,
  classes: readonly number[],
  perClass: number | undefined,
  rng: Rng,
): Int32Array {
  const rows: number[] = [];
  for (const c of classes) {
    const all = byClass.get(c) ?? [];
    // a loop, not push(...all): spreading 60k arguments can overflow the stack
    const chosen = perClass === undefined ? all : rng.shuffle(all.slice()).slice(0, perClass);
    for (const r of chosen) rows.push(r);
  }
  return Int32Array.from(rows).sort();
}

export function labelsOf(all: ArrayLike<number>, rows: Int32Array): Int32Array {
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = all[rows[i]];
  return out;
}

export const fmt = (n: number) => n.toLocaleString('en-US');
