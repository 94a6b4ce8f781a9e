import type { ModelKind } from './model-kind.js';
import { widthList } from './model-kind.js';

/**
 * conv3x3(c1)-ReLU-maxpool2 -> ... -> conv3x3(c_last)-ReLU -> global average pool -> linear(dim).
 * With channels 32,64,128 and dim 64 this is exactly the PyTorch reference in
 * shared/peers/pytorch_reference.py, so speed comparisons are like for like. Fully convolutional:
 * a trunk pretrained on 28x28 digits applies to 28x56 and 28x84 composites.
 */
export interface CnnConfig {
  kind: 'cnn';
  channels: number[];
  dim: number;
  /** conv + bias + ReLU as one tf.fused.conv2d (faster inference; the same function) */
  fused?: boolean;
}

export const CNN_CHANNELS = [32, 64, 128] as const;

export const cnn = {
  kind: 'cnn',
  describe: 'small CNN',
  flags: [{ name: 'channels', type: 'string', describe: `CNN channels (default ${CNN_CHANNELS.join(',')})` }],
  fromFlags: (f, dim, take): CnnConfig => ({ kind: 'cnn', channels: widthList('channels', f.channels as string | undefined, CNN_CHANNELS, take, false), dim }),
  featureWidth: (cfg) => cfg.channels.at(-1)!,
  args: (cfg) => `--model cnn --channels ${cfg.channels.join(',')}`,
  describeTrunk: (cfg) => `CNN trunk conv3x3 ${cfg.channels.join(',')} (ReLU, max-pool 2 between convs), fully convolutional: input [n, h, w, c] of any height and width`,
  trunkInputShape: (_cfg, [, , c]) => [null, null, c],
  trunkLayers: (cfg, [, , c], layers) => cfg.channels.flatMap((filters, i) => [
    layers.conv2d({ name: `conv${i + 1}`, filters, kernelSize: 3, padding: 'same', activation: 'relu', ...(i === 0 ? { inputShape: [null, null, c] } : {}) }),
    ...(i < cfg.channels.length - 1 ? [layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2, strides: 2, padding: 'valid' })] : []),
  ]),
  build: (cfg, [, , c], param, tf) => {
    const convs: { kernel: ReturnType<typeof param>; bias: ReturnType<typeof param> }[] = [];
    let inC = c;
    cfg.channels.forEach((outC, i) => {
      convs.push({ kernel: param(`conv${i + 1}/kernel`, [3, 3, inC, outC], 9 * inC), bias: param(`conv${i + 1}/bias`, [outC], null) });
      inC = outC;
    });
    const head = { kernel: param('head/kernel', [inC, cfg.dim], inC), bias: param('head/bias', [cfg.dim], null) };
    return (x) => {
      let y = x;
      convs.forEach((layer, i) => {
        y = cfg.fused
          ? tf.fused.conv2d({ x: y, filter: layer.kernel as unknown as typeof y, strides: 1, pad: 'same', bias: layer.bias, activation: 'relu' })
          : (tf.relu(tf.add(tf.conv2d(y, layer.kernel as unknown as typeof y, 1, 'same'), layer.bias)) as typeof y);
        if (i < convs.length - 1) y = tf.maxPool(y, 2, 2, 'valid');
      });
      const pooled = tf.mean(y, [1, 2]) as Parameters<typeof tf.matMul>[0] & { rank: 2 };
      return tf.add(tf.matMul(pooled, head.kernel), head.bias);
    };
  },
} as const satisfies ModelKind<CnnConfig>;
