/**
 * Chooses and initialises the TensorFlow.js backend. 'auto' tries, in order, tfjs-node-gpu,
 * webgpu (Dawn; only on an adapter that is not a software renderer), tfjs-node (the tfjs-node packages are optional:
 * their install downloads libtensorflow, which often fails; so are the webgpu packages), wasm (with
 * this project's extra kernels, multithreaded when asked) and cpu; every attempt and its reason is
 * recorded, since the trainer writes them to run.json. An explicit choice that cannot be used is a
 * UserError that names the backend and the fix.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { UserError } from '../errors.js';
import { backendMessages as msg } from '../messages/backend.js';
import { tf } from './tf.js';
import { registeredWasmKernels, registerWasmKernels, unregisterWasmKernels } from './wasm-kernels/register.js';
import {
  describeAdapter, installNavigatorGpu, probeWebgpuAdapter, softwareRenderer, webgpuMessages, WebgpuUnavailable, WEBGPU_BACKEND_PACKAGE,
  type WebgpuAdapterInfo, type WebgpuAdapterProbe, type WebgpuProbeResult,
} from './webgpu.js';
import { prepareWasmThreads, stopWasmThreads, takeThreadFailure, TESTED_WASM_VERSION, unrefWasmThreads } from './wasm-threads.js';

import { BACKEND_CHOICES, type BackendChoice } from './choices.js';

export { BACKEND_CHOICES, type BackendChoice, type WebgpuAdapterInfo, type WebgpuAdapterProbe, type WebgpuProbeResult };

export interface BackendAttempt {
  backend: string;
  ok: boolean;
  reason?: string;
}

export interface BackendInfo {
  choice: BackendChoice;
  /** tf.getBackend(): 'tensorflow' for both tfjs-node packages, 'wasm', 'cpu' */
  name: string;
  /** threads the backend computes with (wasm: XNNPACK's pool incl. the main thread) */
  threads: number;
  attempts: BackendAttempt[];
  tfjsVersion: string;
  /** kernels this project registered in place of missing or slow stock ones (wasm only) */
  customKernels: string[];
  /** anything the user should know, e.g. a fallback to one thread */
  notes: string[];
  /**
   * whether tensors may be read synchronously (dataSync) on this backend: false on webgpu, whose
   * synchronous reads need OffscreenCanvas (absent in Node) and stall the GPU where they work
   */
  syncReads: boolean;
  /** present when webgpu was considered: the adapter (vendor, architecture, description) or why none */
  webgpu?: WebgpuProbeResult;
}

export interface InitBackendOptions {
  backend: BackendChoice;
  /** wasm threads; default the machine's logical cores. Ignored (with a note) by other backends. */
  threads?: number;
  /** register this project's wasm kernels (default true); false only for comparisons */
  customKernels?: boolean;
  /** finds the WebGPU adapter (default: Dawn's); tests inject one to check the choice without a GPU */
  webgpuProbe?: WebgpuAdapterProbe;
  /**
   * The caller reads tensors only asynchronously (await t.data()), never with dataSync(). Default
   * false: webgpu is then used only if a synchronous read works, which tfjs-backend-webgpu 4.22
   * does through OffscreenCanvas, absent in Node; otherwise the attempt fails with that reason.
   */
  asyncReadsOnly?: boolean;
  /** where a warning the user must see goes (once per process): default stderr */
  warn?: (line: string) => void;
}

type Concrete = Exclude<BackendChoice, 'auto'>;

/** What 'auto' tries, in order: the GPUs first (webgpu only where Dawn finds an adapter). */
export const AUTO_ORDER: Concrete[] = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];

const NODE_GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
const NODE_PACKAGE = '@tensorflow/tfjs-node';
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
/** A threaded start that takes longer than this is abandoned for one thread. */
const THREAD_START_TIMEOUT_S = 30;

let current: { info: BackendInfo; key: string } | null = null;

class AttemptFailed extends Error {}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0].trim();
}

function isNotInstalled(e: unknown, pkg: string): boolean {
  const code = (e as { code?: string } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && firstLine(e).includes(pkg);
}

function wasmPackageVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${WASM_PACKAGE}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function importOptional(pkg: string): Promise<void> {
  try {
    // The name is held in a variable so tsc does not look for the package's types.
    await import(pkg);
  } catch (e) {
    throw new AttemptFailed(isNotInstalled(e, pkg) ? msg.notInstalled(pkg) : msg.failedToLoad(pkg, firstLine(e)));
  }
}

async function activate(name: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new AttemptFailed(msg.didNotInitialise(name, firstLine(e)));
  }
  if (!ok) throw new AttemptFailed(msg.didNotInitialise(name, ''));
  await tf.ready();
}

async function tryNode(pkg: string): Promise<number> {
  await importOptional(pkg);
  if (tf.findBackendFactory('tensorflow') === null) throw new AttemptFailed(msg.otherTfjsCopy(pkg, tf.version_core));
  await activate('tensorflow');
  return os.cpus().length;
}

/** Adapters already announced as software renderers: the warning is said once per process. */
const announcedSoftware = new Set<string>();

/**
 * webgpu, tried only when the probe finds an adapter; `probed` receives what the probe found. A
 * software renderer is refused by 'auto' (the reason is recorded) and announced once when chosen.
 */
async function tryWebgpu(probe: WebgpuAdapterProbe, probed: (r: WebgpuProbeResult) => void, opts: InitBackendOptions, notes: string[]): Promise<number> {
  const found = await probe();
  probed(found);
  if (found.adapter === null) throw new AttemptFailed(webgpuMessages.noAdapter(found.reason ?? 'no reason given'));
  const software = softwareRenderer(found.adapter);
  if (software !== null) {
    const name = describeAdapter(found.adapter);
    if (opts.backend === 'auto') throw new AttemptFailed(webgpuMessages.softwareSkipped(name, software));
    const line = webgpuMessages.softwareInUse(name);
    notes.push(line);
    if (!announcedSoftware.has(name)) {
      announcedSoftware.add(name);
      (opts.warn ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
    }
  }
  if (tf.findBackendFactory('webgpu') === null) {
    try {
      await installNavigatorGpu();
    } catch (e) {
      throw new AttemptFailed(e instanceof WebgpuUnavailable ? e.message : firstLine(e));
    }
    await importOptional(WEBGPU_BACKEND_PACKAGE);
    if (tf.findBackendFactory('webgpu') === null) throw new AttemptFailed(webgpuMessages.notRegistered(WEBGPU_BACKEND_PACKAGE));
  }
  await activate('webgpu');
  if (!(opts.asyncReadsOnly ?? false)) {
    const detail = syncReadFailure();
    if (detail !== null) {
      await tf.setBackend('cpu');
      throw new AttemptFailed(webgpuMessages.noSyncReads(detail));
    }
  }
  return 1;
}

/** null when dataSync() works on the active backend, else the first line of its error. */
function syncReadFailure(): string | null {
  let t: tf.Tensor | null = null;
  try {
    t = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)));
    return t.dataSync()[0] === 2 ? null : 'dataSync returned a wrong value';
  } catch (e) {
    return firstLine(e);
  } finally {
    t?.dispose();
  }
}

/** wasm with `threads` threads; on a failed threaded start, one thread and a note. */
async function tryWasm(threads: number, customKernels: boolean, notes: string[], attempts: BackendAttempt[]): Promise<number> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    throw new AttemptFailed(isNotInstalled(e, WASM_PACKAGE) ? msg.notInstalled(WASM_PACKAGE) : msg.failedToLoad(WASM_PACKAGE, firstLine(e)));
  }
  // An instance made elsewhere (tf.setBackend('wasm')) has its own thread count and kernels.
  if (tf.engine().registry.wasm !== undefined) await resetWasm();
  if (threads > 1) {
    const cores = os.availableParallelism();
    if (threads > cores) notes.push(msg.threadsOverCores(threads, cores));
    const version = wasmPackageVersion();
    if (version !== TESTED_WASM_VERSION) notes.push(msg.threadsUntested(version, TESTED_WASM_VERSION));
    try {
      await startThreaded(wasm, threads);
      attempts.push({ backend: `wasm (${threads} threads)`, ok: true });
      if (customKernels) registerWasmKernels();
      return wasm.getThreadsCount();
    } catch (e) {
      const detail = e instanceof AttemptFailed ? e.message : firstLine(e);
      attempts.push({ backend: `wasm (${threads} threads)`, ok: false, reason: detail });
      notes.push(msg.threadsFellBack(threads, detail));
      await resetWasm();
    }
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount(1);
  await activate('wasm');
  attempts.push({ backend: 'wasm', ok: true });
  if (customKernels) registerWasmKernels();
  return 1;
}

async function startThreaded(wasm: typeof import('@tensorflow/tfjs-backend-wasm'), threads: number): Promise<void> {
  wasm.setThreadsCount(threads);
  const undo = prepareWasmThreads(threads);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AttemptFailed(msg.threadsTimeout(THREAD_START_TIMEOUT_S))), THREAD_START_TIMEOUT_S * 1000);
    });
    await Promise.race([activate('wasm'), timeout]);
  } catch (e) {
    const why = takeThreadFailure();
    throw why === null ? e : new AttemptFailed(why);
  } finally {
    clearTimeout(timer);
    undo();
  }
  unrefWasmThreads();
}

/**
 * Drops the wasm backend instance (terminating its threads) but keeps it registered. Stock
 * kernels go back first: a new instance runs the setup of the kernels registered at that time.
 */
async function resetWasm(): Promise<void> {
  unregisterWasmKernels();
  const factory = tf.findBackendFactory('wasm');
  if (factory !== null) {
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', factory, 2);
  }
  await stopWasmThreads();
}

function fixFor(choice: Concrete): string {
  const v = tf.version_core;
  switch (choice) {
    case 'node-gpu': return msg.fixNodeGpu(v);
    case 'webgpu': return webgpuMessages.fix(v);
    case 'node': return msg.fixNode(v);
    case 'wasm': return msg.fixWasm(v);
    case 'cpu': return msg.fixCpu();
  }
}

function resolveThreads(threads: number | undefined): number {
  if (threads === undefined) return Math.max(1, os.availableParallelism());
  if (!Number.isInteger(threads) || threads < 1) throw new UserError(msg.badThreads(threads));
  return threads;
}

/**
 * Initialises the backend and returns what was chosen and why. Calling it again with the same
 * options returns the same info; with other options the previous backend is shut down first.
 */
export async function initBackend(opts: InitBackendOptions): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(opts.backend)) throw new UserError(msg.unknownBackend(String(opts.backend), BACKEND_CHOICES));
  const threads = resolveThreads(opts.threads);
  const customKernels = opts.customKernels ?? true;
  // An injected probe is never the same request as another.
  const key = opts.webgpuProbe === undefined ? JSON.stringify([opts.backend, threads, customKernels, opts.asyncReadsOnly ?? false]) : `probe:${Math.random()}`;
  if (current !== null && current.key === key && tf.engine().registry[current.info.name] !== undefined) {
    // Same request: reactivate (code may have switched backends meanwhile, e.g. to compare with cpu).
    if (tf.getBackend() !== current.info.name) await tf.setBackend(current.info.name);
    return current.info;
  }
  await shutdownBackend();

  const order: Concrete[] = opts.backend === 'auto' ? AUTO_ORDER : [opts.backend];
  const attempts: BackendAttempt[] = [];
  const notes: string[] = [];
  let webgpu: WebgpuProbeResult | undefined;
  for (const choice of order) {
    try {
      let used: number;
      if (choice === 'node-gpu' || choice === 'node') {
        used = await tryNode(choice === 'node-gpu' ? NODE_GPU_PACKAGE : NODE_PACKAGE);
        attempts.push({ backend: choice, ok: true });
        if (opts.threads !== undefined) notes.push(msg.threadsIgnored(choice));
      } else if (choice === 'webgpu') {
        used = await tryWebgpu(opts.webgpuProbe ?? probeWebgpuAdapter, (r) => { webgpu = r; }, opts, notes);
        attempts.push({ backend: 'webgpu', ok: true });
        if (opts.threads !== undefined) notes.push(msg.threadsIgnored('webgpu'));
      } else if (choice === 'wasm') {
        used = await tryWasm(threads, customKernels, notes, attempts);
      } else {
        await activate('cpu');
        attempts.push({ backend: 'cpu', ok: true });
        if (opts.threads !== undefined && opts.threads > 1) notes.push(msg.threadsIgnored('cpu'));
        used = 1;
      }
      const info: BackendInfo = {
        choice: opts.backend,
        name: tf.getBackend(),
        threads: used,
        attempts,
        tfjsVersion: tf.version_core,
        customKernels: tf.getBackend() === 'wasm' ? registeredWasmKernels() : [],
        notes,
        syncReads: tf.getBackend() !== 'webgpu',
        ...(webgpu === undefined ? {} : { webgpu }),
      };
      current = { info, key };
      return info;
    } catch (e) {
      if (!(e instanceof AttemptFailed)) throw e;
      attempts.push({ backend: choice, ok: false, reason: e.message });
      if (opts.backend !== 'auto') throw new UserError(msg.unavailable(choice, e.message, fixFor(choice)));
    }
  }
  throw new UserError(msg.noneAvailable(attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ')));
}

/**
 * Releases the backend: wasm worker threads are terminated, so Node exits by itself (they are
 * also unref'd at start, so forgetting this does not hang the process). Tensors still held on
 * wasm become invalid. Safe to call when nothing was initialised.
 */
export async function shutdownBackend(): Promise<void> {
  const wasWasm = tf.engine().registry.wasm !== undefined;
  if (wasWasm) await resetWasm();
  else await stopWasmThreads();
  // Leave a working backend behind for stray tensor calls (wasm's instance is gone; webgpu's
  // stays registered, its device kept for the next initBackend).
  if (wasWasm || tf.getBackend() === 'webgpu') await tf.setBackend('cpu');
  current = null;
}
