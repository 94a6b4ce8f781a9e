#!/usr/bin/env node
// A stand-in for `xbm-drift train` in sweep tests: writes the run folder files a sweep reads.
// FAKE_TRAIN_CALLS=<file>: append one JSON line of argv per call.
// FAKE_TRAIN_FAIL=<text>: exit 3 without a run.json when --out contains <text>.
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const argv = process.argv.slice(2);
if (argv[0] === 'train') argv.shift();
const flags = {};
for (let i = 0; i < argv.length; i++) {
  if (!argv[i].startsWith('--')) continue;
  const [k, v] = argv[i].slice(2).split('=');
  if (v !== undefined) flags[k] = v;
  else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags[k] = argv[++i];
  else flags[k] = true;
}
if (process.env.FAKE_TRAIN_CALLS) appendFileSync(process.env.FAKE_TRAIN_CALLS, JSON.stringify(argv) + '\n');
const out = flags.out;
if (!out) {
  console.error('no --out');
  process.exit(2);
}
if (existsSync(out) && readdirSync(out).length > 0 && !flags.overwrite) {
  console.error(`${out} exists: pass --overwrite`);
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const batch = Number(flags['batch-size'] ?? 32);
const size = Number(flags['xbm-size'] ?? 0);
const start = flags['xbm-start'] === 'off' || size === 0 ? null : Number(flags['xbm-start'] ?? 10);
const iterations = Number(flags.iterations ?? 20);
writeFileSync(join(out, 'config.json'), JSON.stringify({ dataset: { spec: 'fake', dataSeed: 0 }, batchSize: batch, iterations, xbm: { size, weight: 1, start: start === null ? { kind: 'off' } : { kind: 'at', iteration: start } }, seed: Number(flags.seed ?? 1) }));
console.log(`fake training ${out}`);
if (process.env.FAKE_TRAIN_FAIL && out.includes(process.env.FAKE_TRAIN_FAIL)) {
  console.error('fake failure');
  process.exit(3);
}
const r1 = Math.round((0.3 + 0.05 * Math.log2(batch / 16) + (start === null ? 0 : 0.2)) * 1e4) / 1e4;
writeFileSync(join(out, 'eval.csv'), `iteration,split,recall_at_1,recall_at_2,recall_at_4,recall_at_8,map_at_r,nmi,ms_eval\n0,test,0.1,0.2,0.3,0.4,0.05,0.2,10\n${iterations},test,${r1},${r1 + 0.05},${r1 + 0.1},${r1 + 0.15},${r1 / 2},0.5,10\n`);
// A complete run.json (schemaVersion 1), as the trainer writes it: the sweep reads it through its checked reader.
writeFileSync(join(out, 'run.json'), JSON.stringify({
  schemaVersion: 1, runId: `fake-${batch}`, name: out.split('/').pop(), status: 'completed',
  dataset: { spec: 'fake', description: 'fake', imageShape: [28, 28, 1], trainSize: 1000, testSize: 1000, trainClasses: 10, testClasses: 10 },
  versions: { xbmDrift: '0.0.0', node: process.version, tfjs: 'none' },
  backend: { choice: 'cpu', name: 'fake', threads: 1, attempts: [], tfjsVersion: 'none' },
  seed: 1, startedAt: new Date(0).toISOString(), endedAt: new Date(100).toISOString(), resumes: [],
  iterationsDone: iterations, iterations, batchSize: batch, parameters: 1,
  xbm: { size, weight: 1, bytes: 0, requested: start === null ? { kind: 'off' } : { kind: 'at', iteration: start }, start, paused: false, threshold: null, span: 0, decision: null, events: [] },
  timings: { msPerIteration: batch / 2, msPerIterationP90: batch / 2, wallSeconds: 0.1, snapshotSeconds: 0, evalSeconds: 0, trainSeconds: 0.1 },
  final: { iteration: iterations, split: 'test', recall_at_1: r1, recall_at_2: r1 + 0.05, recall_at_4: r1 + 0.1, recall_at_8: r1 + 0.15, map_at_r: r1 / 2, nmi: 0.5, ms_eval: 10 },
  collapse: { collapsed: false, signals: [] }, probe: null,
}));
