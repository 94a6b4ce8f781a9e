/** User-facing texts of src/config: every error and warning defined once. */

import { bytes } from '../number-format.js';

export const configMessages = {
  positiveInteger: (flag: string, v: unknown) => `${flag} must be a whole number of at least 1 (got ${v}).`,
  nonNegativeInteger: (flag: string, v: unknown) => `${flag} must be a whole number of at least 0 (got ${v}).`,
  positiveNumber: (flag: string, v: unknown) => `${flag} must be a positive number (got ${v}).`,
  nonNegativeNumber: (flag: string, v: unknown) => `${flag} must be a number of at least 0 (got ${v}).`,
  intList: (flag: string, text: string) => `${flag} takes a comma-separated list of positive whole numbers (got "${text}").`,
  unknownBackend: (name: string, known: readonly string[]) => `Unknown backend "${name}": use one of ${known.join(', ')}.`,
  unknownChoice: (flag: string, v: string, known: readonly string[]) => `${flag} "${v}" is not known: use one of ${known.join(', ')}.`,
  batchNotDivisible: (batch: number, perClass: number) =>
    `--batch-size ${batch} is not divisible by --per-class ${perClass}: a P x K batch needs batch = classes x images per class; choose a multiple of ${perClass} or change --per-class.`,
  batchMismatch: (batch: number, p: number, k: number) =>
    `--batch-size ${batch} does not equal --classes-per-batch ${p} x --per-class ${k} = ${p * k}: give two of the three, or make them agree.`,
  memoryTooSmall: (size: number, batch: number) =>
    `--xbm-size ${size} is smaller than the batch (${batch}): the memory must hold at least one batch; use --xbm-size ${batch} or more, or 0 for no memory.`,
  startWithoutMemory: (start: string) => `--xbm-start ${start} needs a memory: give --xbm-size M (for example 3000).`,
  badXbmStart: (t: string, policies: readonly string[]) =>
    `--xbm-start "${t}" is not understood: use an iteration (e.g. 500), off, auto, or auto:<policy> (${policies.join(', ')}).`,
  badAutoPolicy: (t: string, reason: string) => `--xbm-start ${t}: ${reason}`,
  startAfterEnd: (flag: string, start: number, iterations: number) =>
    `--xbm-start ${flag} starts XBM at iteration ${start}, at or after the end of training (--iterations ${iterations}), so the memory would never be used: give a start below ${iterations}, or more --iterations.`,
  flagNotForLoss: (flag: string, loss: string, readers: readonly string[]) =>
    `--${flag} does not apply to the ${loss} loss (only ${readers.join(', ')} read${readers.length === 1 ? 's' : ''} it): drop --${flag}, or choose --loss ${readers.join(' or ')}.`,
  parityConflict: (flag: string, parity: string, why: string) =>
    `${flag} cannot be combined with --parity ${parity}: ${why}. Drop ${flag}, or drop --parity to choose each behaviour yourself.`,
  flagNeeds: (flag: string, needs: string, given: string) =>
    `${flag} only applies with ${needs}, but the run uses ${given}: add ${needs}, or drop ${flag}.`,
  tensorTooLarge: (flag: string, value: number, what: string, shape: readonly number[], max: number) =>
    `${flag} ${value} is too large: ${what} would be ${shape.join(' x ')} float32 values (${bytes(shape.reduce((a, b) => a * b, 4))}), ` +
    `over the 1 GiB one tensor may take (a quarter of the 4 GiB a wasm32 heap can address); use ${flag} ${max} or less.`,
  momentumRange: (m: unknown) => `--xbm-momentum must be a number from 0 (plain XBM) up to, but not including, 1 (got ${m}); MoCo uses 0.999.`,
  autoNeedsSnapshots: '--xbm-start auto measures drift from probe snapshots: set --snapshot-every to a positive number (default 50).',
  tooManyIterations: (n: number, max: number) =>
    `--iterations ${n} is too many: snapshot and checkpoint files name the iteration in six digits, so a run may have at most ${max.toLocaleString('en-US')} iterations; give --iterations ${max} or fewer.`,
  tooFewImagesPerClass: (n: number) =>
    `--images-per-class ${n} leaves no second image of a query's class in the test split, so Recall@K is undefined: give --images-per-class 2 or more.`,
  perClassOverImages: (k: number, n: number) =>
    `--per-class ${k} asks for more images of a class in a batch than --images-per-class ${n} provides: give --per-class ${n} or less, or more --images-per-class.`,
  sgdMomentumRange: (m: unknown) => `--momentum must be a number from 0 up to, but not including, 1 (got ${m}): at 1 or more SGD's velocity never decays and training diverges.`,
  firstRefreshAfterEnd: (refresh: number, iterations: number) =>
    `--index-refresh ${refresh} builds the first smart-mining index at iteration ${refresh}, at or after the end of training (--iterations ${iterations}), so smart mining would never run: give --index-refresh below ${iterations}, or more --iterations.`,
  policyWindowTooLong: (text: string, window: number, snapshots: number) =>
    `--xbm-start ${text} waits for ${window} consecutive snapshots, but the run takes only ${snapshots}, so the policy could never start XBM: give a window of at most ${snapshots}, a smaller --snapshot-every, or more --iterations.`,
  ksOverGallery: (k: number, size: number, spec: string) =>
    `--ks ${k} asks for Recall@${k}, but the test split of ${spec} has only ${size} images (at most ${size - 1} neighbours per query): give every K below ${size}.`,
  ksFitted: (ks: readonly number[], neighbours: number, spec: string) =>
    `Ks above ${neighbours} dropped from ${ks.join(',')}: a query of ${spec}'s test split has at most ${neighbours} neighbours`,
  probeOverSplit: (probe: number, size: number, spec: string) =>
    `--probe-size ${probe} is larger than the training split of ${spec} (${size} images): give --probe-size ${size} or less.`,
  probeTooSmallForScatter: (text: string, probe: number, classes: number) =>
    `--xbm-start ${text} reads the probe's within-class scatter, which needs two probe images of a class, but the probe of ${probe} images is stratified over ${classes} training classes: give --probe-size ${2 * classes} or more (twice the classes), or another policy.`,
  microBatchOverBatch: (n: number, batch: number) =>
    `--micro-batch ${n} is larger than the batch of ${batch}: give --micro-batch ${batch} or less (it splits the batch), or drop it.`,
} as const;
