/** User-facing texts of src/memory: every error and warning defined once. */
export const memoryMessages = {
  badCapacity: (capacity: number) =>
    `Memory size ${capacity} is not a positive integer: give the number of embeddings to keep, such as 3000.`,
  badDim: (dim: number) => `Memory embedding width ${dim} is not a positive integer.`,
  dimMismatch: (values: number, rows: number, dim: number) =>
    `Cannot enqueue ${values} values as ${rows} rows of width ${dim}: the embedder's width must match the memory's (${dim}).`,
  lengthMismatch: (what: string, length: number, rows: number) =>
    `Cannot enqueue: ${what} has ${length} entries for ${rows} rows.`,
  badIteration: (iteration: number) => `Cannot enqueue at iteration ${iteration}: give a whole number.`,
  badState: (detail: string) => `The memory checkpoint is damaged (${detail}): delete it or restart the run.`,
  badWeight: (weight: number) => `The memory loss weight ${weight} must be a finite number of 0 or more.`,
  selfSlotsLength: (length: number, rows: number) =>
    `selfSlots has ${length} entries but the batch has ${rows} rows: pass the slots enqueue() returned.`,
  memoryWidth: (memoryDim: number, batchDim: number) =>
    `The memory holds embeddings of width ${memoryDim} but the batch has width ${batchDim}.`,
  unknownAdapt: (kind: string, known: readonly string[]) => `Unknown memory compensation "${kind}": use one of ${known.join(', ')}.`,
} as const;
