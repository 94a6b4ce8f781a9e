/** User-facing texts of `xbm-drift import` (src/import, src/cli/import.ts): every error and note defined once. */
export const importMessages = {
  folderNotFound: (dir: string) =>
    `${dir} does not exist or is not a folder: give the run folder your Python loop wrote with xbm_drift_log.RunLogger.`,
  notAPythonRun: (dir: string, rawDir: string) =>
    `${dir} has no ${rawDir}/ folder, so xbm_drift_log.py did not write it: give the folder passed to RunLogger (runs written by \`xbm-drift train\` need no import).`,
  missingFile: (path: string, what: string) =>
    `${path} is missing (${what}): write it with xbm_drift_log.RunLogger (${hintFor(what)}).`,
  npyTooShort: (path: string, bytes: number) =>
    `${path} is not a .npy file (${bytes} bytes, too short for a header): write it again with numpy.save.`,
  npyBadMagic: (path: string) =>
    `${path} is not a .npy file (no \\x93NUMPY magic at its start): write it with numpy.save (not pickle or savez).`,
  npyBadVersion: (path: string, major: number) =>
    `${path} is .npy format version ${major}, which is not supported (1, 2 or 3): write it again with numpy.save.`,
  npyBadHeader: (path: string, detail: string) =>
    `${path} has an unreadable .npy header (${detail}): the file is damaged; write it again with numpy.save.`,
  npyFortranOrder: (path: string) =>
    `${path} is stored in Fortran (column-major) order: save numpy.ascontiguousarray(x) instead.`,
  npyBadDtype: (path: string, descr: string) =>
    `${path} has dtype ${descr}, which import does not read: save float32 or float64 embeddings and int32 or int64 ids and labels, little-endian (x.astype('<f4')).`,
  npyTruncated: (path: string, bytes: number, expected: number) =>
    `${path} holds ${bytes} data bytes but its header promises ${expected}: the write was interrupted; write the file again.`,
  npyBadShape: (path: string, shape: readonly number[], expected: string) =>
    `${path} has shape (${shape.join(', ')}), expected ${expected}: write it again with the right array.`,
  npyWrongKind: (path: string, descr: string, expected: string) =>
    `${path} has dtype ${descr}, expected ${expected}: write it again with the right array.`,
  probeLengthMismatch: (idsPath: string, n: number, labelsPath: string, m: number) =>
    `${idsPath} has ${n} sample ids but ${labelsPath} has ${m} labels: the probe set needs one label per sample; call set_probe again.`,
  emptyProbe: (path: string) => `${path} holds no samples: give set_probe a non-empty probe set.`,
  probeIdRepeats: (path: string, id: number) =>
    `${path} lists sample id ${id} more than once: probe samples must be unique; call set_probe with unique ids.`,
  notInt32: (path: string, value: number) =>
    `${path} holds ${value}, which does not fit in int32 (the Arrow contract's sample_id and label type): renumber the samples.`,
  noSnapshots: (dir: string) =>
    `${dir} holds no snapshots (iter-NNNNNN.npy): call RunLogger.log_snapshot at least at two iterations, then import again.`,
  badSnapshotName: (path: string) =>
    `${path} is not named iter-<iteration>.npy: rename or remove it (log_snapshot writes iter-000500.npy for iteration 500).`,
  duplicateIteration: (path: string, other: string, iteration: number) =>
    `${path} and ${other} are both iteration ${iteration}: remove one of them.`,
  snapshotRows: (path: string, rows: number, probePath: string, n: number) =>
    `${path} has ${rows} rows but the probe set ${probePath} has ${n}: every snapshot embeds the probe set, one row per sample in its order.`,
  snapshotWidth: (path: string, dim: number, firstPath: string, firstDim: number) =>
    `${path} has embeddings of width ${dim} but ${firstPath} has width ${firstDim}: one run holds snapshots of one model; move the odd file out.`,
  nonFinite: (path: string, row: number) =>
    `${path} holds NaN or Infinity in row ${row}: the run diverged there; remove the snapshot (or the run) and import again.`,
  configWidth: (configPath: string, dim: number, path: string, width: number) =>
    `${configPath} says model.dim ${dim} but ${path} has width ${width}: fix config.json or the snapshots.`,
  badCsvHeader: (path: string, missing: readonly string[]) =>
    `${path} lacks column(s) ${missing.join(', ')}, so it is not the table xbm_drift_log.py writes: write it again with RunLogger, or move it away.`,
  emptyCsv: (path: string) => `${path} is empty (not even a header): write it again with RunLogger, or move it away.`,
  // notes printed by the verb
  notNormalized: (rows: number, worst: number) =>
    `note: ${rows} embedding row(s) are not unit vectors (norm off by up to ${worst.toPrecision(3)}); snapshots are marked normalized=false, and D(t; dt) is then not bounded by 4. L2-normalise the probe embeddings as the loss does.`,
  staleArrow: (paths: readonly string[]) =>
    `note: ${paths.length} snapshot file(s) have no numpy source and were left as they are: ${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ', ...' : ''}.`,
  outImported: (n: number, first: number, last: number, probe: number, dim: number) =>
    `imported ${n} snapshot(s), iterations ${first}..${last}, probe ${probe} x ${dim}`,
  outWrote: (path: string) => `wrote ${path}`,
  outRunning: (verb: string, dir: string) => `xbm-drift ${verb} ${dir}`,
  warmupSkipped: (dir: string) =>
    `note: warmup could not decide (the line above says why); the report goes on without a start decision. Run xbm-drift warmup ${dir} with the flags it asks for, then xbm-drift report ${dir}.`,
  outNext: (dir: string) => `next: xbm-drift drift ${dir} && xbm-drift warmup ${dir} && xbm-drift report ${dir}`,
} as const;

function hintFor(what: string): string {
  if (what.includes('probe')) return 'RunLogger.set_probe';
  if (what.includes('config') || what.includes('record')) return 'create a RunLogger and close it';
  return 'RunLogger';
}
