import type { TrainConfig } from '../config/train-config.js';

/** The learning rate used at an iteration (0-based) under the configured schedule. */
export function learningRateAt(config: Pick<TrainConfig, 'optimizer' | 'schedule' | 'iterations'>, iteration: number): number {
  const lr = config.optimizer.lr;
  const s = config.schedule;
  switch (s.kind) {
    case 'constant':
      return lr;
    case 'step':
      return lr * Math.pow(s.gamma, Math.floor(iteration / s.every));
    case 'cosine':
      return s.minLr + 0.5 * (lr - s.minLr) * (1 + Math.cos((Math.PI * iteration) / config.iterations));
  }
}
