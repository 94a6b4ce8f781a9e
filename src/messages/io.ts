/** User-facing texts of src/io: every error and warning defined once. */
export const ioMessages = {
  fileNotFound: (path: string) =>
    `${path} does not exist: check the path, or list the run folder's snapshots/ to see what was written.`,
  notArrowFile: (path: string) =>
    `${path} is not an Arrow IPC file (no ARROW1 magic at its start): give a .arrow file written by xbm-drift.`,
  truncatedArrowFile: (path: string, bytes: number) =>
    `${path} is truncated (${bytes} bytes, no Arrow footer): its write was interrupted; delete it or write it again.`,
  unreadableArrowFile: (path: string, detail: string) =>
    `${path} cannot be read as Arrow (${detail}): the file is damaged; delete it or write it again.`,
  missingColumns: (path: string, kind: string, missing: readonly string[]) =>
    `${path} has no column(s) ${missing.join(', ')}, so it is not an xbm-drift ${kind} file: give a file written by xbm-drift.`,
  badColumnType: (path: string, column: string, found: string, expected: string) =>
    `${path}: column ${column} is ${found}, expected ${expected}: give a file written by xbm-drift.`,
  nullsInColumn: (path: string, column: string, nulls: number) =>
    `${path}: column ${column} has ${nulls} null value(s), which a snapshot may not have: write the file again without nulls.`,
  missingMetadata: (path: string, keys: readonly string[]) =>
    `${path} lacks the schema metadata ${keys.join(', ')}, so it is not an xbm-drift file: give a file written by xbm-drift.`,
  badMetadata: (path: string, key: string, value: string, expected: string) =>
    `${path}: schema metadata ${key} is "${value}", expected ${expected}: give a file written by xbm-drift.`,
  unsupportedSchemaVersion: (path: string, found: string, supported: string) =>
    `${path} has schema version ${found}, but this xbm-drift reads version ${supported}: use the xbm-drift version that wrote it.`,
  dimMetadataMismatch: (path: string, metaDim: number, listSize: number) =>
    `${path}: metadata says width ${metaDim} but the embedding column holds ${listSize} floats per row: write the file again.`,
  runNotFound: (runDir: string) =>
    `Run folder ${runDir} does not exist: give the path of a run folder (runs/<name>).`,
  noSnapshots: (dir: string) =>
    `${dir} holds no snapshot files (iter-<iteration>.arrow): train with snapshots enabled, or give another run folder.`,
  snapshotNotInRun: (runDir: string, iteration: number, first: number, last: number) =>
    `Run ${runDir} has no snapshot at iteration ${iteration} (snapshots span ${first}..${last}): ask for an iteration that has one.`,
  iterationMismatch: (path: string, fromName: number, fromMetadata: number) =>
    `${path} is named for iteration ${fromName} but its metadata says ${fromMetadata}: rename or rewrite the file.`,
  widthMismatch: (path: string, dim: number, refPath: string, refDim: number) =>
    `${path} has embeddings of width ${dim} but ${refPath} has width ${refDim}: one run folder must hold snapshots of one model; move the odd file out.`,
  probeSizeMismatch: (path: string, n: number, refPath: string, refN: number) =>
    `${path} has ${n} probe rows but ${refPath} has ${refN}: snapshots of one run must embed the same probe samples; move the odd file out.`,
  probeIdMismatch: (path: string, sampleId: number, refPath: string) =>
    `${path} holds sample_id ${sampleId}, which is not in the probe set of ${refPath}: snapshots of one run must embed the same probe samples; move the odd file out.`,
  probeLabelMismatch: (path: string, sampleId: number, label: number, refPath: string, refLabel: number) =>
    `${path} gives sample_id ${sampleId} label ${label} but ${refPath} gives it ${refLabel}: the files come from different datasets; move the odd file out.`,
  duplicateSampleIds: (path: string, sampleId: number) =>
    `${path} lists sample_id ${sampleId} more than once, so its rows cannot be matched by sample id: write the probe set with unique ids.`,
  // run-folder JSON formats (src/io/formats/): run.json, analysis/warmup.json, sweep.json
  badJson: (path: string, detail: string, writer: string) =>
    `${path} is not valid JSON (${detail}): the file is damaged (an interrupted write or an edit); write it again with ${writer}, or move it away.`,
  badTable: (path: string, detail: string) => `${path} is damaged (${detail}): delete it, or rerun the run that wrote it.`,
  unreadableFile: (path: string, detail: string) => `${path} cannot be read (${detail}): check that it is a file you may read.`,
  notJsonObject: (path: string, what: string, writer: string) =>
    `${path} does not hold a JSON object, so it is not an xbm-drift ${what}: write it again with ${writer}, or move it away.`,
  missingField: (path: string, field: string, what: string, writer: string) =>
    `${path} has no field ${field}, so it is not a complete xbm-drift ${what}: write it again with ${writer}, or move it away.`,
  badField: (path: string, field: string, expected: string, found: string) =>
    `${path}: field ${field} is ${found.length > 40 ? `${found.slice(0, 40)}...` : found}, expected ${expected}: the file was edited or written by another tool; write it again with xbm-drift.`,
  notAFileOrRun: (path: string) =>
    `${path} is neither an .arrow file nor a run folder with snapshots/: give one of those.`,
} as const;
