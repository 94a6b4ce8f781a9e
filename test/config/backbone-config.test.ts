import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { resolveTrainConfig } from '../../src/config/train-config.js';
import { configMessages as C } from '../../src/messages/config.js';
import { modelMessages as M } from '../../src/messages/model.js';
import { BUILTIN_NAMES } from '../../src/model/builtin-backbones.js';

test('--backbone resolves to an absolute path or a built-in name, with its lr multiplier and freezing', () => {
  const a = resolveTrainConfig({ out: 'runs/x', backbone: 'models/r50/model.json', backboneLrMult: 0.1 });
  assert.deepEqual(a.backbone, { source: resolve('models/r50/model.json'), lrMult: 0.1, freeze: false });
  const b = resolveTrainConfig({ out: 'runs/x', backbone: 'builtin:digits', freezeBackbone: true, dataset: 'mnist3' });
  assert.deepEqual(b.backbone, { source: 'builtin:digits', lrMult: 1, freeze: true });
  assert.equal(resolveTrainConfig({ out: 'runs/x' }).backbone, undefined, 'no backbone: config.json as before');
});

test('--image-size and --normalization reach the image datasets as DatasetOptions.image', () => {
  const c = resolveTrainConfig({ out: 'runs/x', dataset: 'cub200:/data/CUB_200_2011', imageSize: 64, normalization: 'none' });
  assert.deepEqual(c.dataset.image, { size: 64, normalization: 'none' });
  assert.equal(resolveTrainConfig({ out: 'runs/x', dataset: 'cub200:/data/CUB' }).dataset.image, undefined);
});

test('backbone and image flags the run would ignore or cannot use are refused, naming the flag', () => {
  const cases: [Parameters<typeof resolveTrainConfig>[0], string][] = [
    [{ out: 'r', backboneLrMult: 0.1 }, C.flagNeeds('--backbone-lr-mult', '--backbone', 'no backbone')],
    [{ out: 'r', freezeBackbone: true }, C.flagNeeds('--freeze-backbone', '--backbone', 'no backbone')],
    [{ out: 'r', backbone: 'b/model.json', model: 'mlp' }, M.modelFlagWithBackbone('--model', 'b/model.json')],
    [{ out: 'r', backbone: 'b/model.json', channels: '8,16' }, M.modelFlagWithBackbone('--channels', 'b/model.json')],
    [{ out: 'r', backbone: 'b/model.json', freezeBackbone: true, backboneLrMult: 0.1 }, M.lrMultWithFreeze],
    [{ out: 'r', backbone: 'b/model.json', backboneLrMult: 0 }, C.positiveNumber('--backbone-lr-mult', 0)],
    [{ out: 'r', backbone: 'builtin:resnet' }, M.unknownBuiltin('builtin:resnet', BUILTIN_NAMES)],
    [{ out: 'r', dataset: 'mnist2', imageSize: 224 }, C.flagNeeds('--image-size', 'an image dataset (cub200:, cars196:, sop:, inshop:, vehicleid:, folder:, list:)', '--dataset mnist2')],
    [{ out: 'r', dataset: 'sop:/d', imageSize: 0 }, C.positiveInteger('--image-size', 0)],
  ];
  for (const [flags, message] of cases) assert.throws(() => resolveTrainConfig(flags), { name: 'UserError', message }, message);
});
