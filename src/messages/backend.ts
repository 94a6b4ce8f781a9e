/** User-facing texts of src/backend: every error and warning defined once. */
export const backendMessages = {
  notInstalled: (pkg: string) => `${pkg} is not installed`,
  failedToLoad: (pkg: string, detail: string) => `${pkg} is installed but failed to load (${detail})`,
  otherTfjsCopy: (pkg: string, version: string) =>
    `${pkg} registered its backend with another copy of @tensorflow/tfjs-core than ours (${version}); pin every @tensorflow package to ${version}`,
  didNotInitialise: (name: string, detail: string) => `the ${name} backend did not initialise${detail === '' ? '' : ` (${detail})`}`,
  unavailable: (choice: string, reason: string, fix: string) =>
    `Backend "${choice}" cannot be used: ${reason}. ${fix}`,
  noneAvailable: (reasons: string) => `No TensorFlow.js backend could be initialised: ${reasons}.`,
  fixNodeGpu: (version: string) =>
    `Install @tensorflow/tfjs-node-gpu@${version} (it downloads libtensorflow with CUDA 11.2 + cuDNN 8.1 at install time), or choose --backend auto, node, wasm or cpu.`,
  fixNode: (version: string) =>
    `Install @tensorflow/tfjs-node@${version} (it downloads libtensorflow at install time), or choose --backend auto, wasm or cpu.`,
  fixWasm: (version: string) =>
    `Reinstall @tensorflow/tfjs-backend-wasm@${version} (npm ci), or choose --backend cpu.`,
  fixCpu: () => `Reinstall the dependencies (npm ci).`,
  unknownBackend: (name: string, choices: readonly string[]) =>
    `Unknown backend "${name}": choose one of ${choices.join(', ')}.`,
  badThreads: (value: unknown) => `threads must be a positive integer, got ${String(value)}.`,
  threadsFellBack: (threads: number, detail: string) =>
    `wasm with ${threads} threads could not start (${detail}); running on 1 thread`,
  threadsUntested: (found: string, tested: string) =>
    `multithreaded wasm is only tested with @tensorflow/tfjs-backend-wasm ${tested}, found ${found}`,
  threadsTimeout: (seconds: number) => `its worker threads did not start within ${seconds} s`,
  threadsOverCores: (threads: number, cores: number) =>
    `${threads} wasm threads on ${cores} logical cores: threads will wait on each other; --threads ${cores} is faster`,
  threadsIgnored: (name: string) => `threads applies to the wasm backend only; ${name} chooses its own`,
} as const;
