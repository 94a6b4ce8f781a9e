/**
 * The backend names, without loading TensorFlow.js: the config validates --backend and the CLI
 * lists its choices from here; init-backend.ts (which loads tfjs) re-exports them.
 */
export type BackendChoice = 'auto' | 'node-gpu' | 'webgpu' | 'node' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];
