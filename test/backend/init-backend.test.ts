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
import { AUTO_ORDER } from '../../src/backend/init-backend.js';
import { BACKEND_CHOICES } from '../../src/backend/choices.js';
import {
  collapseDawnOutput, describeAdapter, probeWebgpuAdapter, softwareRenderer, vulkanDriverFiles, vulkanLoaderPresent, webgpuMessages,
  type WebgpuAdapterInfo, type WebgpuProbeResult,
} from '../../src/backend/webgpu.js';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

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

const NO_ADAPTER_REASON = 'test: no adapter here';
const noAdapter = async (): Promise<WebgpuProbeResult> => ({ adapter: null, reason: NO_ADAPTER_REASON });
const FAKE_ADAPTER: WebgpuAdapterInfo = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200 (test)' };
/** What Dawn reports for Mesa 25's llvmpipe (bookworm-backports), as measured. */
const LLVMPIPE: WebgpuAdapterInfo = {
  vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1', isFallbackAdapter: true,
};

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

  test('auto: tries node-gpu, webgpu (no adapter), node, then wasm, and says why each failed', { skip: installed(NODE_GPU) || installed(NODE) }, async () => {
    const info = await initBackend({ backend: 'auto', threads: 1, webgpuProbe: noAdapter });
    assert.equal(info.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual(info.attempts, [
      { backend: 'node-gpu', ok: false, reason: backendMessages.notInstalled(NODE_GPU) },
      { backend: 'webgpu', ok: false, reason: webgpuMessages.noAdapter(NO_ADAPTER_REASON) },
      { backend: 'node', ok: false, reason: backendMessages.notInstalled(NODE) },
      { backend: 'wasm', ok: true },
    ]);
    assert.deepEqual(info.webgpu, { adapter: null, reason: NO_ADAPTER_REASON });
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

describe('webgpu backend choice (injected adapter probe, no GPU needed)', () => {
  test('the choices list webgpu; auto tries it after node-gpu and before node, wasm and cpu', () => {
    assert.ok(BACKEND_CHOICES.includes('webgpu'));
    assert.deepEqual(AUTO_ORDER, ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu']);
  });

  test('--backend webgpu without an adapter is a one-line UserError naming the reason', async () => {
    await assert.rejects(initBackend({ backend: 'webgpu', webgpuProbe: noAdapter }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.message, backendMessages.unavailable('webgpu', webgpuMessages.noAdapter(NO_ADAPTER_REASON), webgpuMessages.fix(tf.version_core)));
      assert.match(e.message, /^Backend "webgpu" cannot be used: no WebGPU adapter was found \(test: no adapter here\)\./);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  });

  const realPresent = () => installed(NODE_GPU) || installed(NODE) || tf.findBackendFactory('webgpu') !== null;
  const SKIP_REAL = 'a real node-gpu, node or webgpu backend is present';

  test('a probe that finds an adapter: webgpu is chosen and the adapter recorded', { skip: realPresent() ? SKIP_REAL : false }, async () => {
    // A stand-in "webgpu" backend (a cpu backend under that name): the choice logic, not the GPU.
    tf.registerBackend('webgpu', () => new MathBackendCPU(), 0);
    try {
      const info = await initBackend({ backend: 'auto', threads: 2, asyncReadsOnly: true, webgpuProbe: async () => ({ adapter: FAKE_ADAPTER }) });
      assert.equal(info.name, 'webgpu');
      assert.equal(tf.getBackend(), 'webgpu');
      assert.deepEqual(info.attempts, [
        { backend: 'node-gpu', ok: false, reason: backendMessages.notInstalled(NODE_GPU) },
        { backend: 'webgpu', ok: true },
      ]);
      assert.deepEqual(info.webgpu, { adapter: FAKE_ADAPTER });
      assert.deepEqual(info.notes, [backendMessages.threadsIgnored('webgpu')]);
      assert.equal(info.threads, 1);
      // run.json is written from this object: the adapter survives JSON.
      assert.deepEqual(JSON.parse(JSON.stringify(info)).webgpu.adapter, FAKE_ADAPTER);
      await shutdownBackend();
      assert.equal(tf.getBackend(), 'cpu');
    } finally {
      tf.removeBackend('webgpu');
    }
  });

  test('a webgpu backend that cannot read synchronously is refused unless the caller reads asynchronously', { skip: realPresent() ? SKIP_REAL : false }, async () => {
    // As tfjs-backend-webgpu in Node: kernels work, dataSync() needs OffscreenCanvas.
    class NoSyncReads extends MathBackendCPU {
      override readSync(): never { throw new ReferenceError('OffscreenCanvas is not defined'); }
      override async read(dataId: object): ReturnType<MathBackendCPU['read']> { return this.data.get(dataId)!.values!; }
    }
    const kernels = tf.getKernelsForBackend('cpu');
    for (const k of kernels) tf.registerKernel({ ...k, backendName: 'webgpu' });
    tf.registerBackend('webgpu', () => new NoSyncReads() as unknown as tf.KernelBackend, 0);
    const probe = async (): Promise<WebgpuProbeResult> => ({ adapter: FAKE_ADAPTER });
    try {
      const reason = webgpuMessages.noSyncReads('OffscreenCanvas is not defined');
      const info = await initBackend({ backend: 'auto', threads: 1, webgpuProbe: probe });
      assert.equal(info.name, 'wasm');
      assert.deepEqual(info.attempts[1], { backend: 'webgpu', ok: false, reason });
      await assert.rejects(initBackend({ backend: 'webgpu', webgpuProbe: probe }), {
        name: 'UserError', message: backendMessages.unavailable('webgpu', reason, webgpuMessages.fix(tf.version_core)),
      });
      const ok = await initBackend({ backend: 'webgpu', asyncReadsOnly: true, webgpuProbe: probe });
      assert.equal(ok.name, 'webgpu');
      const t = tf.add(tf.scalar(2), tf.scalar(3));
      assert.deepEqual(Array.from(await t.data()), [5]);
      t.dispose();
      await shutdownBackend();
    } finally {
      tf.removeBackend('webgpu');
      for (const k of kernels) tf.unregisterKernel(k.kernelName, 'webgpu');
    }
  });

  test('a software renderer is recognised by isFallbackAdapter or by its name; a GPU is not', () => {
    assert.equal(softwareRenderer(LLVMPIPE), 'Dawn marks it a fallback adapter');
    assert.equal(softwareRenderer(FAKE_ADAPTER), null);
    assert.equal(softwareRenderer({ ...FAKE_ADAPTER, isFallbackAdapter: false }), null);
    const named = (description: string) => softwareRenderer({ vendor: '', architecture: '', device: '', description });
    assert.equal(named('llvmpipe (LLVM 15.0.6, 256 bits)'), 'its adapter info names "llvmpipe"');
    assert.equal(named('Google SwiftShader'), 'its adapter info names "SwiftShader"');
    assert.equal(named('lavapipe'), 'its adapter info names "lavapipe"');
    assert.equal(softwareRenderer({ ...LLVMPIPE, isFallbackAdapter: undefined }), 'its adapter info names "llvmpipe"');
    assert.equal(named('Microsoft Basic Render Driver (software)'), 'its adapter info names "software"');
  });

  test('auto never chooses a software adapter: wasm, with the adapter and the reason recorded', { skip: installed(NODE_GPU) || installed(NODE) }, async () => {
    const warned: string[] = [];
    const info = await initBackend({ backend: 'auto', threads: 1, asyncReadsOnly: true, webgpuProbe: async () => ({ adapter: LLVMPIPE }), warn: (l) => warned.push(l) });
    assert.equal(info.name, 'wasm');
    const reason = webgpuMessages.softwareSkipped(describeAdapter(LLVMPIPE), 'Dawn marks it a fallback adapter');
    assert.deepEqual(info.attempts[1], { backend: 'webgpu', ok: false, reason });
    assert.match(reason, /^the only adapter is a software renderer \(llvmpipe: Mesa 25\.0\.7.*\): correct but far slower than wasm, so auto does not use it; --backend webgpu uses it anyway$/);
    // run.json is written from this object: the adapter seen and why it was not used.
    const recorded = JSON.parse(JSON.stringify(info));
    assert.deepEqual(recorded.webgpu, { adapter: LLVMPIPE });
    assert.equal(recorded.attempts[1].reason, reason);
    assert.deepEqual(warned, [], 'auto says nothing on stderr: it did not use the adapter');
  });

  test('--backend webgpu still uses a software adapter and says so once per process', { skip: realPresent() ? SKIP_REAL : false }, async () => {
    tf.registerBackend('webgpu', () => new MathBackendCPU(), 0);
    const warned: string[] = [];
    const opts = { backend: 'webgpu' as const, asyncReadsOnly: true, webgpuProbe: async () => ({ adapter: LLVMPIPE }), warn: (l: string) => warned.push(l) };
    try {
      const info = await initBackend(opts);
      assert.equal(info.name, 'webgpu');
      const line = webgpuMessages.softwareInUse(describeAdapter(LLVMPIPE));
      assert.deepEqual(info.notes, [line]);
      assert.match(line, /^webgpu runs on a software renderer \(llvmpipe: .*\): slow, fit for correctness checks only; --backend auto uses wasm instead$/);
      await shutdownBackend();
      const again = await initBackend(opts);
      assert.deepEqual(again.notes, [line], 'run.json notes it every time');
      assert.deepEqual(warned, [line], 'stderr hears it once');
      await shutdownBackend();
    } finally {
      tf.removeBackend('webgpu');
    }
  });

  test('Dawn\'s warnings collapse into one line without their source locations', () => {
    const stderr = [
      'Warning: loader_get_json: Failed to open JSON file /nonexistent.json',
      'Warning: vkCreateInstance: Found no drivers!',
      'Warning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER',
      '    at CheckVkSuccessImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/VulkanError.cpp:106)',
      '',
      'Warning: vkCreateInstance: Found no drivers!',
    ].join('\n');
    assert.equal(collapseDawnOutput(stderr), 'loader_get_json: Failed to open JSON file /nonexistent.json; vkCreateInstance: Found no drivers!; vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER');
    assert.equal(collapseDawnOutput(''), '');
    assert.equal(collapseDawnOutput('Warning: x'.repeat(100)).length, 400);
  });

  test('an adapter whose backend cannot start is a recorded failure, then the next backend', { skip: realPresent() ? SKIP_REAL : false }, async () => {
    tf.registerBackend('webgpu', () => { throw new Error('device lost\nsecond line'); }, 0);
    const warn = console.warn;
    console.warn = () => {}; // tfjs reports the failed initialisation itself
    try {
      const info = await initBackend({ backend: 'auto', threads: 1, webgpuProbe: async () => ({ adapter: FAKE_ADAPTER }) });
      assert.equal(info.name, 'wasm');
      assert.deepEqual(info.attempts.map((a) => a.backend), ['node-gpu', 'webgpu', 'node', 'wasm']);
      assert.equal(info.attempts[1].ok, false);
      assert.match(info.attempts[1].reason!, /^the webgpu backend did not initialise/);
      assert.deepEqual(info.webgpu, { adapter: FAKE_ADAPTER });
    } finally {
      console.warn = warn;
      tf.removeBackend('webgpu');
    }
  });

  test('the real probe on this machine finds an adapter or says why not, without throwing', async () => {
    const r = await probeWebgpuAdapter();
    if (r.adapter === null) {
      assert.ok(typeof r.reason === 'string' && r.reason.length > 0 && !r.reason.includes('\n'), String(r.reason));
    } else {
      for (const k of ['vendor', 'architecture', 'device', 'description'] as const) assert.equal(typeof r.adapter[k], 'string');
    }
  });

  test('Vulkan driver manifests are listed from VK_DRIVER_FILES', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xbm-icd-'));
    const file = join(dir, 'lvp_icd.x86_64.json');
    writeFileSync(file, '{}');
    const saved = process.env.VK_DRIVER_FILES;
    process.env.VK_DRIVER_FILES = dir;
    try {
      assert.deepEqual(vulkanDriverFiles(), [file]);
    } finally {
      if (saved === undefined) delete process.env.VK_DRIVER_FILES;
      else process.env.VK_DRIVER_FILES = saved;
    }
  });
});

/**
 * The user's view of the automatic backend, in a child process as a user runs it: nothing of
 * Dawn's on stderr, and no xbm-drift-xdg-* folder left in the temporary folder.
 */
describe('the automatic backend as a user meets it (child process)', () => {
  const child = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'auto-backend-child.ts');
  const runChild = (backend: string, tmp: string, env: NodeJS.ProcessEnv = {}) => {
    const { XDG_RUNTIME_DIR: _unset, ...rest } = process.env;
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, backend], {
      env: { ...rest, TMPDIR: tmp, ...env }, encoding: 'utf8', timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return { out: JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr, xdg: readdirSync(tmp).filter((f) => f.startsWith('xbm-drift-xdg-')) };
  };
  const noLoader = vulkanLoaderPresent() === false ? 'the Vulkan loader (libvulkan1) is not installed' : false;

  test('a Vulkan driver Dawn cannot use: its warnings stay off stderr and land, as one line, in the recorded reason', { skip: noLoader, timeout: 150_000 }, (t) => {
    const tmp = tempDir(t);
    const icd = join(tmp, 'broken_icd.json');
    writeFileSync(icd, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: join(tmp, 'missing-driver.so'), api_version: '1.3.0' } }));
    const { out, stderr, xdg } = runChild('auto', tmp, { VK_DRIVER_FILES: icd });
    assert.doesNotMatch(stderr, /CheckVkSuccessImpl|Warning:/);
    const webgpu = out.attempts.find((a: { backend: string }) => a.backend === 'webgpu');
    assert.equal(webgpu.ok, false);
    assert.match(webgpu.reason, /^no WebGPU adapter was found \(Dawn accepted none of the Vulkan drivers found \(broken_icd\) \(Dawn: .*VK_ERROR_INCOMPATIBLE_DRIVER.*\)\)$/);
    assert.doesNotMatch(webgpu.reason, /CheckVkSuccessImpl|\n/);
    assert.deepEqual(xdg, [], 'no xbm-drift-xdg-* folder is left behind');
  });

  test('on a machine whose only adapter is a software renderer: auto trains on wasm, silently; --backend webgpu says so once', { timeout: 300_000 }, async (t) => {
    const found = await probeWebgpuAdapter();
    if (found.adapter === null || softwareRenderer(found.adapter) === null) {
      t.skip(`no software WebGPU adapter here (${found.adapter === null ? found.reason : describeAdapter(found.adapter)})`);
      return;
    }
    const tmp = tempDir(t);
    const auto = runChild('auto', tmp);
    assert.equal(auto.out.name, 'wasm');
    assert.deepEqual(auto.out.webgpu, { adapter: found.adapter });
    const webgpu = auto.out.attempts.find((a: { backend: string }) => a.backend === 'webgpu');
    assert.equal(webgpu.reason, webgpuMessages.softwareSkipped(describeAdapter(found.adapter), softwareRenderer(found.adapter)!));
    assert.equal(auto.stderr, '', 'auto writes nothing to stderr');
    assert.deepEqual(auto.xdg, []);
    const explicit = runChild('webgpu', tmp);
    assert.equal(explicit.out.name, 'webgpu');
    const line = webgpuMessages.softwareInUse(describeAdapter(found.adapter));
    assert.equal(explicit.stderr.split('\n').filter((l) => l === line).length, 1, explicit.stderr);
    assert.deepEqual(explicit.xdg, [], 'the XDG_RUNTIME_DIR folder made for Dawn is removed at exit');
  });
});

