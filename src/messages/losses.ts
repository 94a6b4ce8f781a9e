/** User-facing texts of src/losses: every error and warning defined once. */
export const lossesMessages = {
  notMatrix: (arg: string, shape: readonly number[]) =>
    `${arg} must be a 2-D tensor [rows, dim], got shape [${shape.join(', ')}].`,
  dimMismatch: (qDim: number, refDim: number) =>
    `q has embedding width ${qDim} but ref has ${refDim}: both must come from the same embedder.`,
  labelsShape: (arg: string, shape: readonly number[], rows: number) =>
    `${arg} must be a 1-D int32 tensor of ${rows} labels (one per row), got shape [${shape.join(', ')}].`,
  labelsDtype: (arg: string, dtype: string) =>
    `${arg} must be an int32 tensor, got ${dtype}: create it with tf.tensor1d(labels, 'int32').`,
  selfIndexLength: (length: number, rows: number) =>
    `selfIndex has ${length} entries but q has ${rows} rows: give one column (or -1) per query.`,
  selfIndexRange: (i: number, value: number, refRows: number) =>
    `selfIndex[${i}] = ${value} is not a column of ref (0..${refRows - 1}) or -1.`,
  unknownKind: (kind: string, known: readonly string[]) =>
    `Unknown loss "${kind}": use one of ${known.join(', ')}.`,
  unknownMining: (mining: string, known: readonly string[]) =>
    `Unknown triplet mining "${mining}": use one of ${known.join(', ')}.`,
  badSelfExclusion: (v: string) =>
    `loss selfExclusion ${v} is not valid: use {"kind":"index"} or {"kind":"similarity","epsilon":e} with 0 < e < 1 (config.json is damaged, or was edited).`,
  notFinite: (loss: string, param: string, value: number) =>
    `${loss} ${param} ${value} is not a finite number.`,
  notPositive: (loss: string, param: string, value: number) =>
    `${loss} ${param} ${value} must be greater than 0.`,
  negative: (loss: string, param: string, value: number) =>
    `${loss} ${param} ${value} must be 0 or more.`,
  marginRange: (m: number) => `--margin must be between 0 and 2 for unit-length embeddings (got ${m}).`,
  columnActivityLength: (length: number, columns: number) => `columnActivity has ${length} entries for ${columns} reference columns: allocate one per column.`,
} as const;
