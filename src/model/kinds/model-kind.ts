import type { tf, tfjs } from '../../backend/tf.js';
import { UserError } from '../../errors.js';
import type { FlagSpec, GivenFlags, TakeDefault } from '../../flag-spec.js';
import { configMessages } from '../../messages/config.js';

/** [height, width, channels] of the images a model takes. */
export type InputShape = readonly [number, number, number];

/** Creates one trainable variable, He-normal (fanIn) or zeros (null), seeded; the embedder keeps the order as the checkpoint's. */
export type MakeParam = (name: string, shape: number[], fanIn: number | null) => tf.Variable;

/**
 * Everything about one built-in model architecture (--model), in its own file: its flags and
 * their checks, its trunk for `pretrain`, its forward pass for `train`, and how it is written on
 * a command line. Adding one: a file exporting a ModelKind and one line in kinds/index.ts; the
 * CLI's --model choices and options, the config and pretrain read that table. No tfjs at load
 * time (the config reads this): the tfjs namespaces are passed in by embedder.ts and trunk.ts.
 */
export interface ModelKind<C extends { kind: string; dim: number } = { kind: string; dim: number }> {
  readonly kind: C['kind'];
  /** one line for --help */
  readonly describe: string;
  /** the flags it reads (any other model's flag given with it is refused) */
  readonly flags: readonly FlagSpec[];
  /** Its config from the flags; `dim` is the embedding width. Throws a UserError naming the flag. */
  fromFlags(flags: GivenFlags, dim: number, take: TakeDefault): C;
  /** The width of the features the linear head receives; `input` null: not known yet (the smallest it can be). */
  featureWidth(cfg: C, input: InputShape | null): number;
  /** The flags that rebuild it: '--model cnn --channels 32,64,128'. */
  args(cfg: C): string;
  /** One phrase for a saved trunk's README. */
  describeTrunk(cfg: C): string;
  /** The input shape its saved trunk declares (null: any size). */
  trunkInputShape(cfg: C, input: InputShape): (number | null)[];
  /** Its trunk (everything before the head) as Keras-style layers, for `pretrain` to save. */
  trunkLayers(cfg: C, input: InputShape, layers: typeof tfjs.layers): tfjs.layers.Layer[];
  /** Creates its variables (trunk, then the head [width, dim] named 'head/...') and returns the forward pass x -> [n, dim], before L2 norm. */
  build(cfg: C, input: InputShape, param: MakeParam, t: typeof tf): (x: tf.Tensor4D) => tf.Tensor2D;
}

/** A comma list of positive integers ('32,64,128'); `allowEmpty`: '' is the empty list. */
export function widthList(flag: string, text: string | undefined, dflt: readonly number[], take: TakeDefault, allowEmpty: boolean): number[] {
  if (text === undefined) return take(flag, undefined, [...dflt]);
  const xs = String(text).split(',').filter((s) => s.trim() !== '').map(Number);
  if ((!allowEmpty && xs.length === 0) || xs.some((x) => !Number.isInteger(x) || x < 1)) throw new UserError(configMessages.intList(`--${flag}`, String(text)));
  return xs;
}
