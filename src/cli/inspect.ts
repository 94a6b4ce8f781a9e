import { existsSync, readdirSync, statSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { DataType } from 'apache-arrow';
import { defaultGaps } from '../analysis/drift.js';
import { UserError } from '../errors.js';
import { META, isInt32, readArrowFile } from '../io/arrow-ipc.js';
import { readProbe } from '../io/probe-file.js';
import { iterationFromSnapshotName, runPaths } from '../io/run-paths.js';
import { readSnapshot } from '../io/snapshot-file.js';
import { SnapshotReader } from '../io/snapshot-reader.js';
import { cliMessages } from '../messages/cli.js';
import { ioMessages } from '../messages/io.js';
import { outputOf, type CliOutput } from './output.js';
import { VERBS } from './verbs.js';

interface InspectArgs {
  path: string;
  output?: CliOutput;
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: VERBS.inspect.usage,
  describe: VERBS.inspect.describe,
  builder: (y: Argv<object>) =>
    y.positional('path', { type: 'string', demandOption: true, describe: 'an .arrow file or a run folder' }) as unknown as Argv<InspectArgs>,
  handler: (args) => {
    const io = outputOf(args);
    const lines = existsSync(args.path) && statSync(args.path).isDirectory() ? inspectRun(args.path) : inspectFile(args.path);
    for (const l of lines) io.out(l);
  },
};

const row = (key: string, value: string) => `${key.padEnd(11)} ${value}`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

/** One Arrow file: schema, metadata, rows, embedding width, iteration range; snapshot files are validated. */
export function inspectFile(path: string): string[] {
  const { table, bytes } = readArrowFile(path);
  const meta = table.schema.metadata;
  const kind = meta.get(META.kind);
  // Our own kinds get the full validation, so inspect reports what the analysis would reject.
  if (kind === 'snapshot' || kind === 'batch') readSnapshot(path);
  if (kind === 'probe') readProbe(path);
  const out = [row('file', `${path} (${mb(bytes)})`), row('rows', `${table.numRows} in ${table.batches.length} record batch(es)`)];
  table.schema.fields.forEach((f, i) => {
    out.push(row(i === 0 ? 'schema' : '', `${f.name}: ${String(f.type)}${f.nullable ? '' : ' not null'}`));
  });
  if (meta.size === 0) out.push(row('metadata', 'none'));
  [...meta.entries()].forEach(([k, v], i) => out.push(row(i === 0 ? 'metadata' : '', `${k} = ${v}`)));
  const list = table.schema.fields.find((f) => DataType.isFixedSizeList(f.type));
  if (list) out.push(row('width', `${(list.type as { listSize: number }).listSize} (${list.name})`));
  const it = table.getChild('iteration');
  if (it && isInt32(it.type) && table.numRows > 0) {
    let lo = Infinity, hi = -Infinity;
    for (const v of it.toArray() as Int32Array) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    out.push(row('iterations', lo === hi ? String(lo) : `${lo}..${hi}`));
  } else if (meta.has(META.iteration)) {
    out.push(row('iterations', meta.get(META.iteration)!));
  }
  if (kind === 'probe' || kind === 'snapshot' || kind === 'batch') {
    const labels = table.getChild('label')!.toArray() as Int32Array;
    out.push(row('classes', String(new Set(labels).size)));
  }
  return out;
}

/** A run folder: every snapshot read and checked one at a time (memory of one snapshot), then summarised. */
export function inspectRun(runDir: string): string[] {
  const p = runPaths(runDir);
  if (!existsSync(p.snapshots)) {
    const isRun = existsSync(p.config) || existsSync(p.run);
    throw new UserError(isRun ? cliMessages.runWithoutSnapshots(runDir) : ioMessages.notAFileOrRun(runDir));
  }
  const reader = SnapshotReader.open(runDir);
  const iters = reader.iterations();
  const probe = reader.probe();
  let bytes = 0;
  const normalized = new Set<boolean>();
  const runIds = new Set<string>();
  let buffer: Buffer | undefined; // read into again: only scalars are kept from each snapshot
  for (const t of iters) {
    const r = reader.read(t, buffer);
    buffer = r.buffer;
    const s = r.snapshot;
    normalized.add(s.normalized);
    runIds.add(s.runId);
    bytes += statSync(reader.path(t)).size;
  }
  const range = (xs: number[]) => (xs.length === 1 ? String(xs[0]) : `${xs[0]}..${xs[xs.length - 1]}`);
  const gaps = defaultGaps(iters);
  const out = [
    row('run', runDir),
    row('run_id', [...runIds].join(', ')),
    row('snapshots', `${iters.length} file(s), iterations ${range(iters)}, ${mb(bytes)}`),
    row('width', String(reader.dim())),
    row('probe', `${probe.sampleIds.length} samples, ${new Set(probe.labels).size} classes (${probe.path})`),
    row('normalized', normalized.size === 1 ? String([...normalized][0]) : 'mixed'),
    row('gaps', gaps.length > 0 ? `default ${gaps.join(', ')}` : 'none (one snapshot)'),
  ];
  if (existsSync(p.batches)) {
    const b = readdirSync(p.batches).map(iterationFromSnapshotName).filter((x): x is number => x !== null).sort((a, c) => a - c);
    out.push(row('batches', b.length > 0 ? `${b.length} file(s), iterations ${range(b)}` : 'none'));
  }
  if (existsSync(p.analysis)) out.push(row('analysis', readdirSync(p.analysis).sort().join(', ') || 'empty'));
  return out;
}
