/**
 * Multithreaded tfjs-backend-wasm in Node, which 4.22.0 does not support as shipped: its
 * multithread flag is false under Node, and its pthread workers are created from blob: URLs,
 * which Node's Worker rejects (ERR_WORKER_PATH). This works around the bundle without touching
 * node_modules, for the duration of the backend's initialisation:
 * - Blob and URL.createObjectURL are wrapped so the texts tfjs puts into blobs (the pthread
 *   worker script and the threaded module factory) are captured and written out as real files;
 * - a global Worker maps blob: URLs to the worker file and rewrites the worker's "load" message
 *   to point at the factory file (prefixed with the few bundle-local names the factory uses);
 * - WASM_HAS_MULTITHREAD_SUPPORT is forced on, and os.cpus() reports at least twice the wanted
 *   thread count (tfjs caps its pool at half the logical cores).
 * Afterwards every worker is unref'd so Node can exit by itself; stopWasmThreads() terminates them.
 * Fragile by nature: tied to the tfjs-backend-wasm bundle of TESTED_WASM_VERSION.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';
import { tf } from './tf.js';

export const TESTED_WASM_VERSION = '4.22.0';

const FACTORY_PREFIX = 'var WasmBackendModuleThreadedSimd';

/** Definitions the factory's text needs: in the bundle they are module-local. */
const FACTORY_PRELUDE = `
var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os');
var commonjsGlobal = globalThis;
var _scriptDir = __XBM_FACTORY_PATH__;
var __dirname = require('path').dirname(_scriptDir);
function __values(o) { return o[Symbol.iterator](); }
function __read(o, n) { var a = []; for (var v of o) { if (n !== undefined && a.length >= n) break; a.push(v); } return a; }
function __spreadArray(to, from) { return to.concat(Array.prototype.slice.call(from)); }
`;

interface CapturedFiles {
  worker?: string;
  factory?: string;
}

interface WorkerLike {
  unref(): void;
  terminate(): Promise<number> | void;
}

/** Live state while threads are in use (one wasm backend per process). */
const state = {
  files: {} as CapturedFiles,
  workers: new Set<NodeWorker>(),
  restoreWorker: null as (() => void) | null,
};

function cacheDir(): string {
  return join(os.tmpdir(), `xbm-drift-tfjs-wasm-${TESTED_WASM_VERSION}`);
}

/**
 * Writes a file named by the hash of `text` (so runs reuse it), atomically; `render` turns the
 * final path into the content, for files that must know where they live.
 */
function writeOnce(name: string, ext: string, text: string, render: (path: string) => string = () => text): string {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const path = join(dir, `${name}-${hash}${ext}`);
  if (!existsSync(path)) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, render(path));
    renameSync(tmp, path);
  }
  return path;
}

function blobText(parts: unknown): string | null {
  if (!Array.isArray(parts) || !parts.every((p) => typeof p === 'string')) return null;
  return (parts as string[]).join('');
}

/** A Worker that Emscripten's pthread code can use in Node: blob: URLs become real files. */
class FileWorker extends NodeWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    const href = String(url);
    if (href.startsWith('blob:')) {
      if (state.files.worker === undefined) throw new Error('the wasm pthread worker script was not captured');
      super(state.files.worker, options);
    } else {
      super(url, options);
    }
    state.workers.add(this);
    this.once('exit', () => state.workers.delete(this));
  }

  override postMessage(message: unknown, transfer?: readonly any[]): void {
    const msg = message as { cmd?: string; urlOrBlob?: unknown } | null;
    if (msg !== null && typeof msg === 'object' && msg.cmd === 'load' && typeof msg.urlOrBlob !== 'string') {
      if (state.files.factory === undefined) throw new Error('the threaded wasm module factory was not captured');
      message = { ...msg, urlOrBlob: state.files.factory };
    }
    super.postMessage(message, transfer as any);
  }
}

/**
 * Installs the shims; returns a function that undoes the init-only ones (Blob, createObjectURL,
 * os.cpus, the flag). The global Worker stays until stopWasmThreads(): tfjs may spawn more
 * workers later.
 */
export function prepareWasmThreads(threads: number): () => void {
  const g = globalThis as Record<string, unknown>;
  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  const originalCpus = os.cpus;
  const texts = new WeakMap<Blob, string>();

  class CapturingBlob extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      const text = blobText(parts);
      if (text === null) return;
      texts.set(this, text);
      if (text.startsWith(FACTORY_PREFIX)) {
        state.files.factory = writeOnce('tfjs-wasm-factory', '.js', text, (path) =>
          FACTORY_PRELUDE.replace('__XBM_FACTORY_PATH__', JSON.stringify(path)) + text + '\n');
      }
    }
  }
  globalThis.Blob = CapturingBlob as typeof Blob;
  URL.createObjectURL = (obj: Blob | MediaSource): string => {
    const text = obj instanceof OriginalBlob ? texts.get(obj as Blob) : undefined;
    if (text !== undefined && !text.startsWith(FACTORY_PREFIX) && state.files.worker === undefined) {
      state.files.worker = writeOnce('tfjs-wasm-worker', '.cjs', text);
    }
    return originalCreateObjectURL.call(URL, obj as Blob);
  };
  const realCores = originalCpus.call(os);
  os.cpus = () => {
    const fake = [...realCores];
    while (fake.length < 2 * threads) fake.push(realCores[0]);
    return fake;
  };

  // The threaded factory assigns worker_threads' Worker to the global on start: keep ours.
  const hadWorker = Object.getOwnPropertyDescriptor(g, 'Worker');
  Object.defineProperty(g, 'Worker', {
    configurable: true,
    get: () => FileWorker,
    set: () => {},
  });
  state.restoreWorker = () => {
    if (hadWorker !== undefined) Object.defineProperty(g, 'Worker', hadWorker);
    else delete g.Worker;
  };

  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  return () => {
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreateObjectURL;
    os.cpus = originalCpus;
  };
}

/** Lets Node exit while the pthread workers idle (they wait on atomics, never on the event loop). */
export function unrefWasmThreads(): void {
  for (const w of state.workers) (w as unknown as WorkerLike).unref();
}

export function wasmWorkerCount(): number {
  return state.workers.size;
}

/** Terminates every pthread worker and removes the global Worker shim. */
export async function stopWasmThreads(): Promise<void> {
  const pending = [...state.workers].map((w) => w.terminate());
  state.workers.clear();
  await Promise.allSettled(pending);
  state.restoreWorker?.();
  state.restoreWorker = null;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
}
