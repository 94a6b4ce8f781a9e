import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { ioMessages } from '../messages/io.js';
import { readProbe } from './probe-file.js';
import { iterationFromSnapshotName, runPaths } from './run-paths.js';
import { readSnapshotFile, type Snapshot } from './snapshot-file.js';

/** The probe set a run's snapshots are checked against, and the file it came from. */
export interface ProbeSet {
  sampleIds: Int32Array;
  labels: Int32Array;
  path: string;
  runId: string;
}

/**
 * The snapshots of one run folder (runs/<name>/snapshots/iter-*.arrow), read lazily: open() only
 * lists file names; at() reads one file and holds nothing afterwards, so the caller decides how many
 * snapshots live in memory at once.
 *
 * Every snapshot returned is checked against the run: the same embedding width as the first
 * snapshot, and the same probe samples as probe.arrow (or, without it, the first snapshot). Rows
 * come back in probe order: a file whose rows are in the same order (what the trainer writes) is
 * returned as a zero-copy view; one with the same samples in another order is matched by
 * sample_id and copied into probe order.
 */
export class SnapshotReader {
  private probeSet: (ProbeSet & { index: Map<number, number> | null }) | null = null;
  private refDim: number | null = null;

  private constructor(
    readonly runDir: string,
    private readonly files: ReadonlyMap<number, string>,
    private readonly iters: readonly number[],
  ) {}

  static open(runDir: string): SnapshotReader {
    if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw new UserError(ioMessages.runNotFound(runDir));
    const paths = runPaths(runDir);
    const files = new Map<number, string>();
    if (existsSync(paths.snapshots)) {
      for (const name of readdirSync(paths.snapshots).sort()) {
        const it = iterationFromSnapshotName(name);
        if (it !== null && !files.has(it)) files.set(it, join(paths.snapshots, name));
      }
    }
    if (files.size === 0) throw new UserError(ioMessages.noSnapshots(paths.snapshots));
    return new SnapshotReader(runDir, files, [...files.keys()].sort((a, b) => a - b));
  }

  /** Snapshot iterations, ascending. */
  iterations(): number[] {
    return [...this.iters];
  }

  has(iteration: number): boolean {
    return this.files.has(iteration);
  }

  path(iteration: number): string {
    const p = this.files.get(iteration);
    if (p === undefined) {
      throw new UserError(ioMessages.snapshotNotInRun(this.runDir, iteration, this.iters[0], this.iters[this.iters.length - 1]));
    }
    return p;
  }

  /** The probe set: probe.arrow when the run has one, else the first snapshot's samples. */
  probe(): ProbeSet {
    if (this.probeSet === null) {
      const probePath = runPaths(this.runDir).probe;
      let set: ProbeSet;
      if (existsSync(probePath)) {
        const p = readProbe(probePath);
        set = { sampleIds: p.sampleIds, labels: p.labels, path: probePath, runId: p.runId };
      } else {
        const first = this.readChecked(this.iters[0]).snapshot;
        this.refDim = first.dim;
        set = { sampleIds: first.sampleIds, labels: first.labels, path: this.path(this.iters[0]), runId: first.runId };
      }
      const seen = new Set<number>();
      for (const id of set.sampleIds) {
        if (seen.has(id)) throw new UserError(ioMessages.duplicateSampleIds(set.path, id));
        seen.add(id);
      }
      this.probeSet = { ...set, index: null };
    }
    const { sampleIds, labels, path, runId } = this.probeSet;
    return { sampleIds, labels, path, runId };
  }

  /** Embedding width of the run: that of its first snapshot. */
  dim(): number {
    if (this.refDim === null) this.refDim = this.readChecked(this.iters[0]).snapshot.dim;
    return this.refDim;
  }

  /** Read one snapshot, checked against the run and in probe order. */
  at(iteration: number): Snapshot {
    return this.read(iteration).snapshot;
  }

  /**
   * at(), reading into `reuse` when it is large enough: for callers that cycle a few buffers
   * (computeDrift). The snapshot may view the returned buffer; reuse that only once the snapshot
   * is no longer used.
   */
  read(iteration: number, reuse?: Buffer): { snapshot: Snapshot; buffer: Buffer } {
    const probe = this.probe();
    const { snapshot: s, buffer } = this.readChecked(iteration, reuse);
    const path = this.path(iteration);
    if (iteration !== this.iters[0]) {
      const refDim = this.dim();
      if (s.dim !== refDim) throw new UserError(ioMessages.widthMismatch(path, s.dim, this.path(this.iters[0]), refDim));
    } else {
      this.refDim ??= s.dim;
    }
    if (s.n !== probe.sampleIds.length) {
      throw new UserError(ioMessages.probeSizeMismatch(path, s.n, probe.path, probe.sampleIds.length));
    }
    if (sameInt32(s.sampleIds, probe.sampleIds)) {
      checkLabels(path, s.sampleIds, s.labels, probe);
      return { snapshot: s, buffer };
    }
    return { snapshot: this.reorder(path, s, probe), buffer };
  }

  private readChecked(iteration: number, reuse?: Buffer): { snapshot: Snapshot; buffer: Buffer } {
    const path = this.path(iteration);
    const r = readSnapshotFile(path, reuse);
    const it = r.snapshot.iteration;
    if (it !== iteration) throw new UserError(ioMessages.iterationMismatch(path, iteration, it));
    return r;
  }

  /** Same samples in another order: match rows by sample_id and copy them into probe order. */
  private reorder(path: string, s: Snapshot, probe: ProbeSet): Snapshot {
    const set = this.probeSet!;
    if (set.index === null) {
      set.index = new Map();
      for (let i = 0; i < probe.sampleIds.length; i++) set.index.set(probe.sampleIds[i], i);
    }
    const { dim, n } = s;
    // Ids first (membership, duplicates), then labels: the message names the root problem.
    const target = new Int32Array(n);
    const filled = new Uint8Array(n);
    for (let row = 0; row < n; row++) {
      const id = s.sampleIds[row];
      const to = set.index.get(id);
      if (to === undefined) throw new UserError(ioMessages.probeIdMismatch(path, id, probe.path));
      if (filled[to]) throw new UserError(ioMessages.duplicateSampleIds(path, id));
      filled[to] = 1;
      target[row] = to;
    }
    const embeddings = new Float32Array(n * dim);
    for (let row = 0; row < n; row++) {
      const to = target[row];
      if (s.labels[row] !== probe.labels[to]) {
        throw new UserError(ioMessages.probeLabelMismatch(path, s.sampleIds[row], s.labels[row], probe.path, probe.labels[to]));
      }
      embeddings.set(s.embeddings.subarray(row * dim, (row + 1) * dim), to * dim);
    }
    return { ...s, sampleIds: probe.sampleIds, labels: probe.labels, embeddings };
  }
}

function sameInt32(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkLabels(path: string, ids: Int32Array, labels: Int32Array, probe: ProbeSet): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== probe.labels[i]) {
      throw new UserError(ioMessages.probeLabelMismatch(path, ids[i], labels[i], probe.path, probe.labels[i]));
    }
  }
}
