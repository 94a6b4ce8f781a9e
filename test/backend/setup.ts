/**
 * The wasm backend for a test file: 1 thread in-process, or the count in XBM_TEST_WASM_THREADS
 * (the threads test re-runs the kernel tests that way in a child process).
 */
import { initBackend, type BackendInfo } from '../../src/backend/init-backend.js';

export function testThreads(): number {
  const n = Number(process.env.XBM_TEST_WASM_THREADS ?? '1');
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

export async function initTestWasm(): Promise<BackendInfo> {
  const threads = testThreads();
  const info = await initBackend({ backend: 'wasm', threads });
  if (info.threads !== threads) throw new Error(`asked for ${threads} wasm threads, got ${info.threads}: ${info.notes.join('; ')}`);
  return info;
}
