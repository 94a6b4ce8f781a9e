/**
 * WebGPU in Node through Dawn: the `webgpu` npm package (Dawn's Node bindings, prebuilt binaries
 * inside the package) provides `navigator.gpu`, and `@tensorflow/tfjs-backend-webgpu` runs on it.
 * Both are optional dependencies, loaded with import() of a name held in a variable (so tsc needs
 * no types and a missing package is a recorded reason, never a crash).
 *
 * Finding no adapter is an ordinary outcome: without a Vulkan loader or driver there is nothing to
 * find, and Dawn refuses old software Vulkan (Mesa 22.3's lavapipe lacks
 * shaderUniform*ArrayDynamicIndexing). Mesa 25's llvmpipe is accepted, as a software renderer:
 * correct but slow, so 'auto' never chooses it (softwareRenderer). The probe runs Dawn in a child
 * process: Dawn writes its Vulkan warnings straight to the process's stderr (native code, past
 * Node's streams), so only there can they be kept off the user's terminal; the reason it gives is
 * one line, which init-backend records in BackendInfo (run.json).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const DAWN_PACKAGE = 'webgpu';
export const WEBGPU_BACKEND_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

/** What run.json records of the adapter (GPUAdapterInfo's fields; '' where Dawn gives none). */
export interface WebgpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** GPUAdapterInfo.isFallbackAdapter: Dawn's mark of a CPU (software) implementation; absent where not given */
  isFallbackAdapter?: boolean;
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
  probeFailed: (detail: string) => `the adapter probe (a child process running Dawn) failed: ${detail}`,
  dawnSaid: (reason: string, lines: string) => `${reason} (Dawn: ${lines})`,
  softwareSkipped: (adapter: string, evidence: string) =>
    `the only adapter is a software renderer (${adapter}; ${evidence}): correct but far slower than wasm, so auto does not use it; --backend webgpu uses it anyway`,
  softwareInUse: (adapter: string) =>
    `webgpu runs on a software renderer (${adapter}): slow, fit for correctness checks only; --backend auto uses wasm instead`,
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
 * The Vulkan loader warns on every start when XDG_RUNTIME_DIR is unset: give it a private
 * temporary folder then, which `release` removes (we created it, so it is ours to delete).
 */
function quietVulkanEnv(): { env: NodeJS.ProcessEnv; release: () => void } {
  if ((process.env.XDG_RUNTIME_DIR ?? '') !== '') return { env: process.env, release: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'xbm-drift-xdg-'));
  return { env: { ...process.env, XDG_RUNTIME_DIR: dir }, release: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Loads Dawn in this process and installs its WebGPU globals (GPUBufferUsage, ...) and
 * `navigator.gpu`, once per process; only once the probe found an adapter to use. A private
 * XDG_RUNTIME_DIR (quietVulkanEnv) stays set for the process's life and is removed at exit.
 */
export function installNavigatorGpu(): Promise<GpuLike> {
  installing ??= (async () => {
    const quiet = quietVulkanEnv();
    if (quiet.env !== process.env) {
      process.env.XDG_RUNTIME_DIR = quiet.env.XDG_RUNTIME_DIR;
      process.once('exit', quiet.release);
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

/** What the probe's child process prints: the adapter's info, or why there is none. */
type ChildAnswer = { adapter: WebgpuAdapterInfo } | { adapter: null; error?: string };

/**
 * The probe's child: loads Dawn, asks for the high-performance adapter, prints one JSON line.
 * Its argument is the Dawn package's file URL (resolved here, so the child needs no module paths).
 */
const CHILD_PROBE = `
const text = (v) => (typeof v === 'string' ? v : '');
let answer;
try {
  const dawn = await import(process.argv[1]);
  Object.assign(globalThis, dawn.globals);
  const adapter = await dawn.create([]).requestAdapter({ powerPreference: 'high-performance' });
  if (adapter == null) answer = { adapter: null };
  else {
    let info = {};
    try { info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {}; } catch {}
    answer = { adapter: { vendor: text(info.vendor), architecture: text(info.architecture), device: text(info.device), description: text(info.description),
      ...(typeof info.isFallbackAdapter === 'boolean' ? { isFallbackAdapter: info.isFallbackAdapter } : {}) } };
  }
} catch (e) {
  answer = { adapter: null, error: String(e?.message ?? e).split('\\n')[0] };
}
process.stdout.write(JSON.stringify(answer) + '\\n', () => process.exit(0));
`;

/** How long the probe's child may take (loading Dawn and enumerating adapters takes about a second). */
const PROBE_TIMEOUT_MS = 60_000;

/** Dawn's warnings (its stderr) as one line: the messages without their "at ..." locations. */
export function collapseDawnOutput(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('at '));
  const unique = [...new Set(lines.map((l) => l.replace(/^(Warning|Error|Info): /, '')))];
  const joined = unique.join('; ');
  return joined.length > 400 ? `${joined.slice(0, 397)}...` : joined;
}

/** The default probe: Dawn's high-performance adapter, or why there is none. */
export const probeWebgpuAdapter: WebgpuAdapterProbe = async () => {
  // Without the Vulkan loader, or without any Vulkan driver, Dawn can find nothing on Linux and would only print warnings.
  if (vulkanLoaderPresent() === false) return { adapter: null, reason: webgpuMessages.noVulkanLoader() };
  if (process.platform === 'linux' && vulkanDriverFiles().length === 0) return { adapter: null, reason: webgpuMessages.noVulkanDriver() };
  let dawnUrl: string;
  try {
    dawnUrl = pathToFileURL(createRequire(import.meta.url).resolve(DAWN_PACKAGE)).href;
  } catch (e) {
    return { adapter: null, reason: isNotInstalled(e, DAWN_PACKAGE) || (e as { code?: string }).code === 'MODULE_NOT_FOUND' ? webgpuMessages.notInstalled(DAWN_PACKAGE) : webgpuMessages.failedToLoad(DAWN_PACKAGE, firstLine(e)) };
  }
  const quiet = quietVulkanEnv();
  let child: ReturnType<typeof spawnSync>;
  try {
    child = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD_PROBE, dawnUrl], { env: quiet.env, encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
  } finally {
    quiet.release();
  }
  const stderr = String(child.stderr ?? '');
  let answer: ChildAnswer;
  try {
    answer = JSON.parse(String(child.stdout ?? '').trim().split('\n').pop() ?? '') as ChildAnswer;
  } catch {
    const why = child.error ? firstLine(child.error) : `exit ${child.status ?? child.signal}${stderr.trim() === '' ? '' : `: ${collapseDawnOutput(stderr)}`}`;
    return { adapter: null, reason: webgpuMessages.probeFailed(why) };
  }
  if (answer.adapter !== null) return { adapter: answer.adapter };
  const reason = answer.error !== undefined ? webgpuMessages.failedToLoad(DAWN_PACKAGE, answer.error) : nullAdapterReason();
  const said = collapseDawnOutput(stderr);
  return { adapter: null, reason: said === '' ? reason : webgpuMessages.dawnSaid(reason, said) };
};

/**
 * Why an adapter counts as a software renderer (CPU rasteriser: llvmpipe, lavapipe, SwiftShader),
 * or null for a GPU: Dawn's isFallbackAdapter, else its names.
 */
export function softwareRenderer(a: WebgpuAdapterInfo): string | null {
  if (a.isFallbackAdapter === true) return 'Dawn marks it a fallback adapter';
  const named = /llvmpipe|lavapipe|swiftshader|software/i.exec([a.description, a.architecture, a.device, a.vendor].join(' '));
  return named === null ? null : `its adapter info names "${named[0]}"`;
}

/** One line naming the adapter, for logs and the benchmark table. */
export function describeAdapter(a: WebgpuAdapterInfo): string {
  const parts = [a.description, a.vendor, a.architecture, a.device].filter((s) => s !== '');
  return parts.length === 0 ? 'unnamed adapter' : [...new Set(parts)].join(', ');
}
