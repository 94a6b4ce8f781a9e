/** User-facing texts of src/model and the pretrain verb: every error and warning defined once. */

const shape = (s: readonly (number | null)[]) => s.map((d) => (d === null || d < 0 ? '?' : String(d))).join('x');

export const modelMessages = {
  backboneMissing: (path: string) =>
    `--backbone ${path} does not exist: give a TensorFlow.js model.json (or the folder holding it), or builtin:digits.`,
  backboneUnreadable: (path: string, why: string) => `--backbone ${path} cannot be read (${why}).`,
  backboneNotJson: (path: string) => `--backbone ${path} is not valid JSON: give the model.json that tensorflowjs_converter or \`xbm-drift pretrain\` wrote.`,
  backboneNotModel: (path: string) =>
    `--backbone ${path} is not a TensorFlow.js model (no modelTopology with layers or graph nodes): give the model.json that tensorflowjs_converter or \`xbm-drift pretrain\` wrote.`,
  backboneShardMissing: (path: string, shard: string) => `--backbone ${path} names the weight file ${shard}, which is missing: copy every *.bin file next to model.json.`,
  backboneShardSize: (path: string, bytes: number, expected: number) =>
    `--backbone ${path}: its weight files hold ${bytes} bytes where the manifest promises ${expected} (truncated copy?): copy them again.`,
  backboneLoadFailed: (path: string, why: string) => `--backbone ${path} could not be loaded as a TensorFlow.js model (${why.split('\n')[0]}).`,
  backboneInputs: (path: string, n: number) => `--backbone ${path} has ${n} inputs: a backbone takes one image tensor [n, h, w, c].`,
  backboneRank: (path: string, s: readonly (number | null)[]) =>
    `--backbone ${path} takes input ${shape(s)}: a backbone takes images [n, h, w, c] (NHWC, as Keras exports them).`,
  backboneOutputRank: (path: string, rank: number) =>
    `--backbone ${path} gives outputs of rank ${rank}: a backbone gives features [n, f] or feature maps [n, h, w, f].`,
  inputSize: (path: string, expects: readonly (number | null)[], dataset: string, gives: readonly number[], image: boolean) =>
    `--backbone ${path} expects images ${shape(expects.slice(1))}, but ${dataset} gives ${shape(gives)}: ` +
    (image ? `pass --image-size ${expects[1] ?? expects[2]} (or a backbone made for this size).` : 'use a backbone made for this image shape (a fully convolutional trunk takes any size), or another dataset.'),
  normalization: (path: string, declared: string, dataset: string, given: string) =>
    `--backbone ${path} was trained on inputs normalised as ${declared}, but ${dataset} gives ${given}: ` +
    `pass --normalization ${declared === '[0, 1]' ? 'none' : declared} (image datasets), or use a backbone made for these inputs.`,
  modelFlagWithBackbone: (flag: string, backbone: string) =>
    `${flag} sets the built-in model, but --backbone ${backbone} is the model here: drop ${flag} (the head's width is --dim).`,
  lrMultWithFreeze: '--backbone-lr-mult has no effect with --freeze-backbone (the backbone does not train): drop one of them.',
  unknownBuiltin: (name: string, known: readonly string[]) => `--backbone ${name} is not a built-in backbone: use one of ${known.join(', ')}, or a model.json.`,
  buildingBuiltin: (name: string, dir: string, command: string) =>
    `${name} is not built yet: pretraining it once into ${dir} (a minute or two on 2 cores; the same as \`${command}\`).`,
  pretrainOutExists: (dir: string) => `${dir} already holds a backbone (model.json): choose another --out, or add --overwrite to replace it.`,
  pretrainOutForeign: (dir: string, entry: string) =>
    `--out ${dir} holds ${entry}, which pretrain did not write, and pretrain replaces only a backbone it saved itself: choose a new or empty folder for --out.`,
  pretrainOutIsFile: (dir: string) => `--out ${dir} is a file: give a folder for the backbone.`,
  pretrainTooFewClasses: (dataset: string, n: number) => `${dataset} has ${n} training class: a classifier needs at least 2.`,
  pretrainNeedsOut: 'pretrain needs --out <folder>: where to write model.json and weights.bin (for example data/backbones/digits).',
  pretrainDone: (dir: string, accuracy: number, seconds: number, bytes: number) =>
    `Backbone written to ${dir}/model.json (${(bytes / 1024).toFixed(0)} KiB of weights) in ${seconds.toFixed(0)} s; train accuracy over the last iterations ${(accuracy * 100).toFixed(1)}%.`,
} as const;
