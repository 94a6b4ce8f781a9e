/** The benchmark pieces: the load-average guard of ratios to PyTorch (bench-utils), the GPU check's MobileNet-class model. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLoad, IDLE_LOAD_LIMIT, loadGuard } from '../../scripts/bench-utils.js';

test('ratios are printed idle, withheld busy, and marked "measured busy" with --allow-busy', () => {
  assert.equal(IDLE_LOAD_LIMIT, 0.5);
  assert.deepEqual({ ...loadGuard(0.12, false), line: '' }, { ratios: true, busy: false, line: '' });
  assert.match(loadGuard(0.12, false).line, /^measured idle \(1-minute load average at start 0\.12 <= 0\.5\)$/);
  assert.equal(loadGuard(0.5, false).ratios, true, 'the limit itself counts as idle');
  const refused = loadGuard(0.51, false);
  assert.equal(refused.ratios, false);
  assert.equal(refused.busy, true);
  assert.match(refused.line, /withheld: 1-minute load average at start 0\.51 > 0\.5;.*--allow-busy/);
  const allowed = loadGuard(3.4, true);
  assert.equal(allowed.ratios, true);
  assert.equal(allowed.busy, true);
  assert.match(allowed.line, /^measured busy \(1-minute load average at start 3\.40 > 0\.5, --allow-busy\)/);
  assert.equal(loadGuard(0.8, false, 1).ratios, true);
  assert.equal(formatLoad([0.1234, 1, 2.5]), '0.12 1.00 2.50');
});

test('the GPU benchmark\'s MobileNet-class model: MobileNet v1 layout, 224 x 224 x 3 -> 64', async () => {
  const { buildMobileNet } = await import('../../scripts/step-timing.js');
  const model = buildMobileNet(64);
  try {
    assert.deepEqual(model.inputs[0].shape, [null, 224, 224, 3]);
    assert.deepEqual(model.outputs[0].shape, [null, 64]);
    // MobileNet v1 1.0 without its classifier has 3,228,864 parameters; the head adds 1024 x 64 + 64.
    assert.equal(model.countParams(), 3_228_864 + 1024 * 64 + 64);
    assert.equal(model.layers.filter((l) => l.getClassName() === 'DepthwiseConv2D').length, 13);
  } finally {
    model.dispose();
  }
});
