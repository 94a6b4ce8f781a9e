import type { TrainOptions } from '../../src/train/trainer.js';

/** Train options that stop a run after `iteration`, as a Ctrl-C during that step would (checkpoint, status interrupted). */
export function stopAfter(iteration: number): Pick<TrainOptions, 'signal' | 'onIteration'> {
  const stop = new AbortController();
  return { signal: stop.signal, onIteration: (t) => t === iteration && stop.abort() };
}
