/** User-facing texts of the training step's choice (src/train/device-step.ts, src/losses/device-loss.ts). */
export const stepMessages = {
  noTensorLoss: (kind: string) => `the loss "${kind}" has no tensor version (its mining sorts per anchor on the host)`,
  noTensorReducer: (reducer: string) => `the reducer "${reducer}" has no tensor version`,
  adaptOnHost: (kind: string) => `--xbm-adapt ${kind} corrects the stored rows on the host from this batch's features before the loss`,
  liveBatchColumns: () => 'the live batch + memory combination (--parity tf-similarity) maps the memory columns\' activity on the host inside the loss',
  deviceStep: () => 'training step: on the device (one forward pass, the loss as tensor operations, the metrics read after the update; docs/backends.md)',
  hostKernelStep: (reason: string) =>
    `training step: record, await, replay (two forward passes, the loss kernels on the host), because ${reason} (docs/backends.md)`,
} as const;
