/**
 * The trainer's real step (src/train/step.ts), not a copy of it: across steps with and without the
 * memory, with the memory loss paused, and with the batch's embeddings kept, it leaves no tensor
 * and no backend buffer behind, on cpu and on wasm with this project's kernels.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { shutdownBackend } from '../../src/backend/init-backend.js';
import { tf } from '../../src/backend/tf.js';
import { createEmbedder } from '../../src/model/embedder.js';
import { createLoss } from '../../src/losses/create-loss.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { trainStep, type StepOptions } from '../../src/train/step.js';
import { Rng } from '../../src/random.js';
import { backendBuffers } from '../backend/compare.js';
import { initTestWasm } from '../backend/setup.js';

before(async () => {
  await initTestWasm();
});
after(async () => {
  await shutdownBackend();
});

const SHAPE = [12, 16, 1] as const;
const B = 8;

for (const backend of ['cpu', 'wasm'] as const) {
  test(`trainStep leaks no tensors or buffers on ${backend} (memory off, on, paused; embeddings kept)`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(3);
    const model = createEmbedder({ kind: 'cnn', channels: [4, 8], dim: 8 }, SHAPE, rng);
    const optimizer = tf.train.adam(1e-3);
    const loss = createLoss({ kind: 'contrastive', margin: 0.5 });
    const memory = new CrossBatchMemory(20, 8);
    const input = (iteration: number) => ({
      pixels: Float32Array.from({ length: B * SHAPE[0] * SHAPE[1] }, () => rng.next()),
      labels: Int32Array.from({ length: B }, (_, i) => i % 4),
      sampleIds: Int32Array.from({ length: B }, (_, i) => iteration * B + i),
      iteration,
    });
    const modes: StepOptions[] = [
      { enqueue: false, memoryLoss: false, weight: 1, keepEmbeddings: false },
      { enqueue: true, memoryLoss: true, weight: 1, keepEmbeddings: false },
      { enqueue: true, memoryLoss: false, weight: 1, keepEmbeddings: true },
      { enqueue: true, memoryLoss: true, weight: 0.5, keepEmbeddings: true },
    ];
    // The first step creates the optimizer's moment variables: count from after it.
    trainStep(model, loss, optimizer, memory, input(0), modes[1]);
    const tensors = tf.memory().numTensors;
    const buffers = backendBuffers();
    let it = 1;
    for (const mode of modes) {
      for (let k = 0; k < 2; k++) {
        const r = trainStep(model, loss, optimizer, memory, input(it++), mode);
        assert.ok(Number.isFinite(r.loss));
        assert.equal(r.embeddings?.length, mode.keepEmbeddings ? B * 8 : undefined);
        if (mode.memoryLoss) assert.ok(r.memoryStats.positive > 0, 'the memory loss saw pairs');
        else assert.equal(r.memoryLoss, 0);
        assert.equal(tf.memory().numTensors, tensors, `tensors after a step with ${JSON.stringify(mode)}`);
        assert.equal(backendBuffers(), buffers, `backend buffers after a step with ${JSON.stringify(mode)}`);
      }
    }
    optimizer.dispose();
    tf.disposeVariables();
  });
}
