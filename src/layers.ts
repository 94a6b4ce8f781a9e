/**
 * The layers of src/, lowest first: a module may import its own layer and the layers below it,
 * never one above (test/architecture/imports.test.ts checks every import, and that there is no
 * circle). Layers on one line are siblings and must not import each other either: train/ and
 * report/ are independent, so analysis and reports work on runs made anywhere.
 *
 * Why this order: io/ holds the run-folder contracts (file types, readers, writers), so every
 * producer and consumer of a file sits above it; analysis/ measures embeddings and reads drift
 * tables; config/ resolves flags against the components' registries; pipeline/ composes analysis
 * and report (analyseRun); the verbs' jobs (import, sweep, demo) sit under study/ (which
 * plans runs of the demo's regime on sweeps) and cli/; index.ts exports the library. A path is a folder or a file directly under src/.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'number-format.ts', 'random.ts', 'package-version.ts', 'layers.ts', 'flag-spec.ts'],
  ['messages'],
  ['io'],
  ['backend', 'data'],
  ['model', 'losses'],
  ['memory'],
  ['analysis'],
  ['mining'],
  ['config'],
  ['train', 'report'],
  ['pipeline'],
  ['import', 'sweep', 'demo'],
  ['study'],
  ['cli'],
  ['index.ts'],
];
