/**
 * The reference embedder at full size (conv 32/64/128, dim 64) on one [1, 28, 56, 1] image: every
 * variable's gradient on wasm against the cpu backend. One image because the cpu backend's own
 * Conv2DBackpropFilter needs ~10 s for it.
 */
import { after, before, test } from 'node:test';
import { shutdownBackend } from '../../src/backend/init-backend.js';
import { compareGradients } from './model-compare.js';
import { initTestWasm, testThreads } from './setup.js';

before(async () => {
  await initTestWasm();
});
after(async () => {
  await shutdownBackend();
});

test(`full-size reference embedder gradients on wasm (${testThreads()} thread(s)) match cpu`, async () => {
  await compareGradients(1, { channels: [32, 64, 128], dim: 64, fused: false });
});
