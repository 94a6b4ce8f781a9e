/**
 * Backend selection: the order 'auto' tries, readable reasons for each failed attempt, UserErrors
 * that name the backend and the fix, option validation, re-initialisation, and no tfjs banner.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { backendMessages } from '../../src/messages/backend.js';
import { initBackend, shutdownBackend } from '../../src/backend/init-backend.js';
import { tf } from '../../src/backend/tf.js';
import { registeredWasmKernels } from '../../src/backend/wasm-kernels/register.js';

const require = createRequire(import.meta.url);
function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const NODE_GPU = '@tensorflow/tfjs-node-gpu';
const NODE = '@tensorflow/tfjs-node';

after(async () => {
  await shutdownBackend();
});

describe('initBackend', () => {
  // First, before anything else writes to the cpu backend in this process.
  test('the cpu backend prints no "running TensorFlow.js in Node.js" banner', async () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warnings.push(a.map(String).join(' '));
    try {
      await initBackend({ backend: 'cpu' });
      tf.tensor([1, 2, 3]).dispose();
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings.filter((w) => w.includes('TensorFlow.js in Node.js')), []);
  });

  test('cpu: ignores threads with a note', async () => {
    const info = await initBackend({ backend: 'cpu', threads: 4 });
    assert.equal(info.name, 'cpu');
    assert.equal(info.threads, 1);
    assert.deepEqual(info.attempts, [{ backend: 'cpu', ok: true }]);
    assert.deepEqual(info.notes, [backendMessages.threadsIgnored('cpu')]);
    assert.equal(info.tfjsVersion, tf.version_core);
  });

  test('auto: tries node-gpu, node, then wasm, and says why each failed', { skip: installed(NODE_GPU) || installed(NODE) }, async () => {
    const info = await initBackend({ backend: 'auto', threads: 1 });
    assert.equal(info.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual(info.attempts, [
      { backend: 'node-gpu', ok: false, reason: backendMessages.notInstalled(NODE_GPU) },
      { backend: 'node', ok: false, reason: backendMessages.notInstalled(NODE) },
      { backend: 'wasm', ok: true },
    ]);
    assert.equal(info.attempts[0].reason, '@tensorflow/tfjs-node-gpu is not installed');
    assert.deepEqual([...info.customKernels].sort(), [...registeredWasmKernels()].sort());
    assert.ok(info.customKernels.includes('Conv2DBackpropFilter'));
  });

  test('the same options again return the same info without re-initialising', async () => {
    const a = await initBackend({ backend: 'wasm', threads: 1 });
    const b = await initBackend({ backend: 'wasm', threads: 1 });
    assert.equal(a, b);
  });

  test('an explicit backend that is not installed is a UserError naming it and the fix', { skip: installed(NODE_GPU) }, async () => {
    await assert.rejects(initBackend({ backend: 'node-gpu' }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.message, backendMessages.unavailable('node-gpu', backendMessages.notInstalled(NODE_GPU), backendMessages.fixNodeGpu(tf.version_core)));
      assert.match(e.message, /^Backend "node-gpu" cannot be used: @tensorflow\/tfjs-node-gpu is not installed\. Install/);
      return true;
    });
  });

  test('bad options are UserErrors', async () => {
    for (const threads of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(initBackend({ backend: 'wasm', threads }), { name: 'UserError', message: backendMessages.badThreads(threads) });
    }
    await assert.rejects(initBackend({ backend: 'gpu' as 'cpu' }), (e: unknown) => e instanceof UserError && /Unknown backend "gpu"/.test(e.message));
  });

  test('wasm works again after shutdownBackend(), stock and replaced kernels alike', async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    await shutdownBackend();
    assert.equal(tf.getBackend(), 'cpu');
    const info = await initBackend({ backend: 'wasm', threads: 1 });
    assert.equal(info.name, 'wasm');
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    // axis 0 runs this project's Sum, axis 1 the stock one (set up again by the new instance).
    assert.deepEqual(Array.from(tf.sum(x, 0).dataSync()), [9, 12]);
    assert.deepEqual(Array.from(tf.sum(x, 1).dataSync()), [3, 7, 11]);
    const grad = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid')));
    assert.deepEqual(Array.from(grad(tf.ones([2, 2, 1, 1])).dataSync()), [4, 4, 4, 4]);
  });
});
