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
 * Workers start lazily (see LazyWorker), so only threads - 1 threads ever run.
 * Fragile by nature: tied to the tfjs-backend-wasm bundle of TESTED_WASM_VERSION.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { Worker as NodeWorker } from 'node:worker_threads';
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

/** Live state while threads are in use (one wasm backend per process). */
const state = {
  files: {} as CapturedFiles,
  workers: new Set<LazyWorker>(),
  restoreWorker: null as (() => void) | null,
  /** why the shims failed, in words; tfjs itself only reports "initialization failed" */
  failure: null as string | null,
  /** whether prepareWasmThreads forced the multithread flag (the flag exists once wasm is imported) */
  flagForced: false,
};

/** The reason the last threaded start failed inside the shims, if it did (and forgets it). */
export function takeThreadFailure(): string | null {
  const f = state.failure;
  state.failure = null;
  return f;
}

function fail(what: string, e: unknown): never {
  state.failure = `${what}: ${e instanceof Error ? e.message : String(e)}`;
  throw e;
}

let fileDir: string | null = null;

/** Where the worker files are written (default: the OS temporary folder); before initBackend. */
export function setWasmThreadFileDir(dir: string | null): void {
  fileDir = dir;
}

function cacheDir(): string {
  return fileDir ?? join(os.tmpdir(), `xbm-drift-tfjs-wasm-${TESTED_WASM_VERSION}`);
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

/**
 * The Worker Emscripten's pthread code gets. It pre-spawns a pool of 8 and waits until each has
 * loaded the module, though XNNPACK uses only threads - 1 of them: so a worker answers "loaded"
 * at once and starts a real thread (from the files written above) only when it is given work.
 * That saves ~10 MB and part of the start-up per unused worker.
 */
class LazyWorker extends EventEmitter {
  private real: NodeWorker | null = null;
  private load: unknown = null;
  private referenced = true;
  private swallowLoaded = false;

  constructor(url: string | URL) {
    super();
    if (!String(url).startsWith('blob:')) throw new Error(`unexpected wasm worker script ${String(url)}`);
    if (state.files.worker === undefined) throw new Error('the wasm pthread worker script was not captured');
    state.workers.add(this);
  }

  postMessage(message: unknown, transfer?: readonly Transferable[]): void {
    const msg = message as { cmd?: string; urlOrBlob?: unknown } | null;
    if (this.real === null && msg !== null && typeof msg === 'object' && msg.cmd === 'load') {
      if (state.files.factory === undefined) throw new Error('the threaded wasm module factory was not captured');
      this.load = { ...msg, urlOrBlob: state.files.factory };
      setImmediate(() => this.emit('message', { cmd: 'loaded' }));
      return;
    }
    this.start().postMessage(message, transfer as any);
  }

  private start(): NodeWorker {
    if (this.real !== null) return this.real;
    const real = new NodeWorker(state.files.worker!);
    real.on('message', (data: { cmd?: string } | null) => {
      // Emscripten saw "loaded" already, from us.
      if (this.swallowLoaded && data !== null && typeof data === 'object' && data.cmd === 'loaded') {
        this.swallowLoaded = false;
        return;
      }
      this.emit('message', data);
    });
    real.on('error', (e) => this.emit('error', e));
    real.on('exit', () => state.workers.delete(this));
    if (!this.referenced) real.unref();
    this.swallowLoaded = true;
    real.postMessage(this.load);
    this.real = real;
    return real;
  }

  ref(): void {
    this.referenced = true;
    this.real?.ref();
  }

  unref(): void {
    this.referenced = false;
    this.real?.unref();
  }

  async terminate(): Promise<number> {
    state.workers.delete(this);
    return this.real === null ? 0 : this.real.terminate();
  }

  /** Threads actually started (for tests and BackendInfo). */
  get started(): boolean {
    return this.real !== null;
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
        try {
          state.files.factory = writeOnce('tfjs-wasm-factory', '.js', text, (path) =>
            FACTORY_PRELUDE.replace('__XBM_FACTORY_PATH__', JSON.stringify(path)) + text + '\n');
        } catch (e) {
          fail(`cannot write the wasm thread files to ${cacheDir()}`, e);
        }
      }
    }
  }
  globalThis.Blob = CapturingBlob as typeof Blob;
  URL.createObjectURL = (obj: Blob | MediaSource): string => {
    const text = obj instanceof OriginalBlob ? texts.get(obj as Blob) : undefined;
    if (text !== undefined && !text.startsWith(FACTORY_PREFIX) && state.files.worker === undefined) {
      try {
        state.files.worker = writeOnce('tfjs-wasm-worker', '.cjs', text);
      } catch (e) {
        fail(`cannot write the wasm thread files to ${cacheDir()}`, e);
      }
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
    get: () => LazyWorker,
    set: () => {},
  });
  state.restoreWorker = () => {
    if (hadWorker !== undefined) Object.defineProperty(g, 'Worker', hadWorker);
    else delete g.Worker;
  };

  state.files = {};
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  state.flagForced = true;
  // A failed start is reported in BackendInfo; keep tfjs from also printing its stack trace.
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  state.failure = null;
  return () => {
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreateObjectURL;
    os.cpus = originalCpus;
    tf.env().set('PROD', prod);
  };
}

/** Lets Node exit while the pthread workers idle (they wait on atomics, never on the event loop). */
export function unrefWasmThreads(): void {
  for (const w of state.workers) w.unref();
}

/** Worker threads actually running for the wasm backend. */
export function wasmThreadsStarted(): number {
  return [...state.workers].filter((w) => w.started).length;
}

/** Terminates every pthread worker and removes the global Worker shim. */
export async function stopWasmThreads(): Promise<void> {
  const pending = [...state.workers].map((w) => w.terminate());
  state.workers.clear();
  await Promise.allSettled(pending);
  state.restoreWorker?.();
  state.restoreWorker = null;
  if (state.flagForced) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  state.flagForced = false;
}
