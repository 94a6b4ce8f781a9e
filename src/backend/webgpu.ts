/**
 * WebGPU in Node through Dawn: the `webgpu` npm package (Dawn's Node bindings, prebuilt binaries
 * inside the package) provides `navigator.gpu`, and `@tensorflow/tfjs-backend-webgpu` runs on it.
 * Both are optional dependencies, loaded with import() of a name held in a variable (so tsc needs
 * no types and a missing package is a recorded reason, never a crash).
 *
 * Finding no adapter is an ordinary outcome: without a Vulkan loader or driver there is nothing to
 * find, and Dawn refuses software Vulkan (Mesa 22.3's lavapipe lacks
 * shaderUniform*ArrayDynamicIndexing), so on machines without a GPU requestAdapter returns null.
 * The probe says why in one line, which init-backend records in BackendInfo (run.json).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const DAWN_PACKAGE = 'webgpu';
export const WEBGPU_BACKEND_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

/** What run.json records of the adapter (GPUAdapterInfo's fields; '' where Dawn gives none). */
export interface WebgpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/** Recorded in BackendInfo whenever the webgpu backend was considered. */
export interface WebgpuProbeResult {
  adapter: WebgpuAdapterInfo | null;
  /** why no adapter was found (only when adapter is null) */
  reason?: string;
}

/** Finds the adapter tfjs would use; injected in tests, so the choice logic runs without a GPU. */
export type WebgpuAdapterProbe = () => Promise<WebgpuProbeResult>;

/** User-facing texts of the webgpu backend (kept beside it; src/messages/backend.ts holds the rest). */
export const webgpuMessages = {
  notInstalled: (pkg: string) => `${pkg} is not installed`,
  failedToLoad: (pkg: string, detail: string) => `${pkg} is installed but failed to load (${detail})`,
  noNavigatorGpu: () => `${DAWN_PACKAGE} loaded but provided no navigator.gpu`,
  noAdapter: (detail: string) => `no WebGPU adapter was found (${detail})`,
  nullAdapter: () => 'Dawn found no GPU it accepts: it needs a Vulkan, Metal or D3D12 GPU driver',
  noVulkanLoader: () =>
    'libvulkan.so.1 (the Vulkan loader) is not installed, so Dawn can reach no GPU; install libvulkan1 and the GPU\'s Vulkan driver',
  noVulkanDriver: () =>
    'Dawn found no GPU: no Vulkan driver (ICD) is registered; for NVIDIA set VK_DRIVER_FILES to the driver\'s nvidia_icd.json',
  softwareVulkanOnly: (names: string) =>
    `Dawn found no GPU it accepts: the only Vulkan driver is a software renderer (${names}), which Dawn refuses`,
  refusedDrivers: (names: string) => `Dawn accepted none of the Vulkan drivers found (${names})`,
  requestFailed: (detail: string) => `requestAdapter failed: ${detail}`,
  notRegistered: (pkg: string) =>
    `${pkg} loaded but registered no "webgpu" backend with our @tensorflow/tfjs-core (another copy of tfjs, or navigator.gpu was missing when it loaded)`,
  noSyncReads: (detail: string) =>
    `the webgpu backend cannot read tensors synchronously here (dataSync: ${detail}); tfjs-backend-webgpu does that through OffscreenCanvas, which Node lacks, and this command reads synchronously`,
  fix: (version: string) =>
    `It needs a GPU with a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver, and ${DAWN_PACKAGE} plus ${WEBGPU_BACKEND_PACKAGE}@${version} installed (npm ci installs both as optional dependencies); or choose --backend auto, wasm or cpu.`,
} as const;

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0].trim();
}

export function isNotInstalled(e: unknown, pkg: string): boolean {
  const code = (e as { code?: string } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && firstLine(e).includes(pkg);
}

/** Thrown by the loaders below: the message is the one-line reason to record. */
export class WebgpuUnavailable extends Error {}

interface GpuAdapterLike {
  info?: Partial<WebgpuAdapterInfo>;
  requestAdapterInfo?: () => Promise<Partial<WebgpuAdapterInfo>>;
}
interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

let installing: Promise<GpuLike> | null = null;

/**
 * Loads Dawn and installs its WebGPU globals (GPUBufferUsage, ...) and `navigator.gpu`, once per
 * process. XDG_RUNTIME_DIR is set to a private temporary folder when unset: the Vulkan loader
 * otherwise prints a warning on every start.
 */
export function installNavigatorGpu(): Promise<GpuLike> {
  installing ??= (async () => {
    if (process.env.XDG_RUNTIME_DIR === undefined || process.env.XDG_RUNTIME_DIR === '') {
      process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'xbm-drift-xdg-'));
    }
    const existing = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
    if (existing !== undefined) return existing;
    let dawn: { create: (flags: string[]) => GpuLike; globals: Record<string, unknown> };
    try {
      const pkg = DAWN_PACKAGE; // in a variable: tsc does not look for the package's types
      dawn = (await import(pkg)) as typeof dawn;
    } catch (e) {
      throw new WebgpuUnavailable(isNotInstalled(e, DAWN_PACKAGE) ? webgpuMessages.notInstalled(DAWN_PACKAGE) : webgpuMessages.failedToLoad(DAWN_PACKAGE, firstLine(e)));
    }
    if (typeof dawn.create !== 'function') throw new WebgpuUnavailable(webgpuMessages.noNavigatorGpu());
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    // Node 21+ defines a navigator getter; define the property rather than assign to it.
    const nav = (globalThis as { navigator?: object }).navigator;
    if (nav !== undefined && Object.isExtensible(nav)) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return gpu;
  })();
  // A failed load is retried next time (e.g. after the user installs the package).
  installing.catch(() => { installing = null; });
  return installing;
}

/** Whether the Vulkan loader can be found (Linux); null when that cannot be told. */
export function vulkanLoaderPresent(): boolean | null {
  if (process.platform !== 'linux') return null;
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '')) {
    if (existsSync(join(dir, 'libvulkan.so.1'))) return true;
  }
  try {
    return readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1');
  } catch {
    return null;
  }
}

/** The Vulkan driver manifests (ICD JSON files) the loader would read on Linux. */
export function vulkanDriverFiles(): string[] {
  const env = process.env;
  const explicit = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  const entries: string[] = [];
  if (explicit !== undefined && explicit !== '') entries.push(...explicit.split(':'));
  else {
    const config = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
    const data = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
    for (const d of [...config, '/etc', ...data, join(homedir(), '.local/share')]) entries.push(join(d, 'vulkan/icd.d'));
  }
  if (env.VK_ADD_DRIVER_FILES) entries.push(...env.VK_ADD_DRIVER_FILES.split(':'));
  const files = new Set<string>();
  for (const entry of entries.filter((e) => e !== '')) {
    try {
      if (statSync(entry).isDirectory()) for (const f of readdirSync(entry)) { if (f.endsWith('.json')) files.add(join(entry, f)); }
      else files.add(entry);
    } catch {
      // not there
    }
  }
  return [...files];
}

/** Why Dawn returned no adapter, as far as the machine's Vulkan setup tells (Linux). */
function nullAdapterReason(): string {
  if (process.platform !== 'linux') return webgpuMessages.nullAdapter();
  const drivers = vulkanDriverFiles().map((f) => basename(f, '.json'));
  if (drivers.length === 0) return webgpuMessages.noVulkanDriver();
  if (drivers.every((d) => /lvp|lavapipe|swiftshader/i.test(d))) return webgpuMessages.softwareVulkanOnly(drivers.join(', '));
  return webgpuMessages.refusedDrivers(drivers.join(', '));
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The default probe: Dawn's high-performance adapter, or why there is none. */
export const probeWebgpuAdapter: WebgpuAdapterProbe = async () => {
  // Without the Vulkan loader Dawn can find nothing on Linux and would only print a warning.
  if (vulkanLoaderPresent() === false) return { adapter: null, reason: webgpuMessages.noVulkanLoader() };
  let gpu: GpuLike;
  try {
    gpu = await installNavigatorGpu();
  } catch (e) {
    return { adapter: null, reason: e instanceof WebgpuUnavailable ? e.message : firstLine(e) };
  }
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { adapter: null, reason: webgpuMessages.requestFailed(firstLine(e)) };
  }
  if (adapter === null || adapter === undefined) return { adapter: null, reason: nullAdapterReason() };
  let info: Partial<WebgpuAdapterInfo> = {};
  try {
    info = adapter.info ?? (typeof adapter.requestAdapterInfo === 'function' ? await adapter.requestAdapterInfo() : {});
  } catch {
    // An adapter without readable info is still an adapter.
  }
  return {
    adapter: { vendor: text(info.vendor), architecture: text(info.architecture), device: text(info.device), description: text(info.description) },
  };
};

/** One line naming the adapter, for logs and the benchmark table. */
export function describeAdapter(a: WebgpuAdapterInfo): string {
  const parts = [a.description, a.vendor, a.architecture, a.device].filter((s) => s !== '');
  return parts.length === 0 ? 'unnamed adapter' : [...new Set(parts)].join(', ');
}
