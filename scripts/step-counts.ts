/**
 * What one training step does, counted: forward passes of the model (calls of its apply), and
 * reads of the device (Tensor.data, asynchronous; Tensor.dataSync, blocking) before and after the
 * optimizer's update. For scripts/bench-step.ts and the device step's tests: the wrappers are put
 * on for one call and taken off after it.
 */
import { tf } from '../src/backend/tf.js';
import type { Embedder } from '../src/model/embedder.js';

export interface StepCounts {
  /** calls of model.apply */
  forwards: number;
  /** reads (data or dataSync) before the update: each makes the step wait for the device mid-step */
  readsBeforeUpdate: number;
  readsAfterUpdate: number;
  /** dataSync calls (blocking; webgpu cannot serve them in Node) */
  blockingReads: number;
}

export async function countStep<T>(model: Embedder, optimizer: tf.Optimizer, run: () => Promise<T> | T): Promise<{ result: T; counts: StepCounts }> {
  const counts: StepCounts = { forwards: 0, readsBeforeUpdate: 0, readsAfterUpdate: 0, blockingReads: 0 };
  let updated = false;
  const read = () => (updated ? counts.readsAfterUpdate++ : counts.readsBeforeUpdate++);
  const proto = tf.Tensor.prototype;
  const { data, dataSync } = proto;
  const apply = model.apply;
  const applyGradients = optimizer.applyGradients;
  proto.data = function (this: tf.Tensor, ...a: []) {
    read();
    return data.apply(this, a);
  } as typeof data;
  proto.dataSync = function (this: tf.Tensor, ...a: []) {
    read();
    counts.blockingReads++;
    return dataSync.apply(this, a);
  } as typeof dataSync;
  model.apply = (x) => {
    counts.forwards++;
    return apply.call(model, x);
  };
  optimizer.applyGradients = function (this: tf.Optimizer, ...a: Parameters<typeof applyGradients>) {
    updated = true;
    return applyGradients.apply(this, a);
  };
  try {
    return { result: await run(), counts };
  } finally {
    proto.data = data;
    proto.dataSync = dataSync;
    model.apply = apply;
    optimizer.applyGradients = applyGradients;
  }
}
