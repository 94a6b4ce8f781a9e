/** Usage and one-line description of every verb, defined once: for --help and for each command module. */
export const VERBS = {
  demo: { usage: 'demo', describe: 'The main job: baseline run, drift, automatic XBM start, XBM run, report and summary' },
  train: { usage: 'train', describe: 'Train an embedder, with or without XBM, instrumenting every iteration into a run folder' },
  pretrain: { usage: 'pretrain', describe: 'Train a built-in trunk as a classifier on a labelled dataset and save it as a TensorFlow.js LayersModel, for train --backbone' },
  eval: { usage: 'eval <run>', describe: "Evaluate a run's last checkpoint on its test classes (Recall@K, MAP@R, NMI)" },
  drift: { usage: 'drift <run>', describe: 'Measure feature drift D(t; dt) between the snapshots of a run; writes analysis/drift.csv and drift.arrow' },
  inspect: { usage: 'inspect <path>', describe: 'Describe an Arrow file (schema, metadata, rows, width, iterations) or all snapshots of a run folder' },
  warmup: { usage: 'warmup <run>', describe: "Choose when XBM should start, from a run's measured drift (analysis/drift.csv)" },
  report: { usage: 'report <inputs..>', describe: 'Render figures (SVG, PNG, Vega-Lite, CSV) and an offline HTML report from run and sweep folders' },
  import: { usage: 'import <folder>', describe: 'Turn a run folder written from PyTorch by python/xbm_drift_log.py into Arrow snapshots, so drift, warmup and report read it' },
  sweep: { usage: 'sweep', describe: 'Train every point of a grid of train flags (cartesian product) and tabulate final metrics in sweep.csv' },
} as const;
