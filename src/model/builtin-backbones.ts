import { fileURLToPath } from 'node:url';
import type { EmbedderConfig } from './embedder.js';
import { modelKind } from './kinds/index.js';

/**
 * Built-in backbones: `--backbone builtin:<name>`. Each is a trunk that `xbm-drift pretrain`
 * makes; if its weights are small it is shipped in data/backbones/<name>/ (with a README naming
 * the command), otherwise it is built on first use into data/cache/backbones/<name>/ (git-ignored).
 * A new one is one entry here.
 */
export interface BuiltinBackbone {
  readonly name: string;
  readonly summary: string;
  /** the pretrain run that makes it */
  readonly pretrain: { dataset: string; model: EmbedderConfig; iterations: number; batchSize: number; lr: number; seed: number };
}

export const BUILTIN_PREFIX = 'builtin:';

export const BUILTIN_BACKBONES: readonly BuiltinBackbone[] = [
  {
    name: 'digits',
    summary: 'the default CNN trunk (conv 32,64,128) pretrained as a 10-way classifier on single MNIST digits (all 60,000 of the train file); fully convolutional, so it applies to mnist2/mnist3',
    // Small on purpose: 93k weights (362 KiB, so it is shipped). Measured on the shared 2-core machine under load:
    // 1000 iterations in 259 s, 95.8% train accuracy over the last 50 (400 iterations: 99 s, 91.4%).
    pretrain: { dataset: 'mnist', model: { kind: 'cnn', channels: [32, 64, 128], dim: 10 }, iterations: 1000, batchSize: 64, lr: 1e-3, seed: 1 },
  },
];

export const BUILTIN_NAMES: readonly string[] = BUILTIN_BACKBONES.map((b) => `${BUILTIN_PREFIX}${b.name}`);

export function isBuiltinBackbone(source: string): boolean {
  return source.startsWith(BUILTIN_PREFIX);
}

export function builtinBackbone(source: string): BuiltinBackbone | undefined {
  return BUILTIN_BACKBONES.find((b) => `${BUILTIN_PREFIX}${b.name}` === source);
}

/** Where a built-in backbone is shipped (in the package) and where it is built when not shipped. */
export function builtinBackboneDirs(b: BuiltinBackbone): { shipped: string; cache: string } {
  return {
    shipped: fileURLToPath(new URL(`../../data/backbones/${b.name}`, import.meta.url)),
    cache: fileURLToPath(new URL(`../../data/cache/backbones/${b.name}`, import.meta.url)),
  };
}

/** The command that makes it, for the README next to it and the first-use message. */
export function builtinCommand(b: BuiltinBackbone, out: string): string {
  const p = b.pretrain;
  const arch = modelKind(p.model.kind).args(p.model);
  return `xbm-drift pretrain --dataset ${p.dataset} ${arch} --iterations ${p.iterations} --batch-size ${p.batchSize} --lr ${p.lr} --seed ${p.seed} --out ${out}`;
}
