import type { ModelKind } from './model-kind.js';
import { widthList } from './model-kind.js';

/** flatten -> dense-ReLU layers -> linear(dim); fixed to the input shape it was built for. */
export interface MlpConfig {
  kind: 'mlp';
  hidden: number[];
  dim: number;
}

export const MLP_HIDDEN = [256] as const;

export const mlp = {
  kind: 'mlp',
  describe: 'MLP',
  flags: [{ name: 'hidden', type: 'string', describe: `MLP hidden widths (default ${MLP_HIDDEN.join(',')})` }],
  fromFlags: (f, dim, take): MlpConfig => ({ kind: 'mlp', hidden: widthList('hidden', f.hidden as string | undefined, MLP_HIDDEN, take, true), dim }),
  featureWidth: (cfg, input) => cfg.hidden.at(-1) ?? (input ? input[0] * input[1] * input[2] : 1),
  args: (cfg) => `--model mlp --hidden ${cfg.hidden.join(',')}`,
  describeTrunk: (cfg) => `MLP trunk ${cfg.hidden.join(',')} (flatten + dense ReLU), fixed input shape`,
  trunkInputShape: (_cfg, [h, w, c]) => [h, w, c],
  trunkLayers: (cfg, [h, w, c], layers) => [
    layers.flatten({ name: 'flatten', inputShape: [h, w, c] }),
    ...cfg.hidden.map((units, i) => layers.dense({ name: `dense${i + 1}`, units, activation: 'relu' })),
  ],
  build: (cfg, [h, w, c], param, tf) => {
    const dense: { kernel: ReturnType<typeof param>; bias: ReturnType<typeof param> }[] = [];
    let inF = h * w * c;
    [...cfg.hidden, cfg.dim].forEach((outF, i) => {
      const name = i === cfg.hidden.length ? 'head' : `dense${i + 1}`;
      dense.push({ kernel: param(`${name}/kernel`, [inF, outF], inF), bias: param(`${name}/bias`, [outF], null) });
      inF = outF;
    });
    return (x) => {
      let y = tf.reshape(x, [x.shape[0], h * w * c]) as ReturnType<typeof tf.matMul>;
      dense.forEach((layer, i) => {
        y = tf.add(tf.matMul(y, layer.kernel), layer.bias);
        if (i < dense.length - 1) y = tf.relu(y);
      });
      return y as never;
    };
  },
} as const satisfies ModelKind<MlpConfig>;
