/** Every user-facing message, one file per area; tests assert on these texts. */
export * from './backend.js';
export * from './data.js';
export * from './model.js';
export * from './losses.js';
export * from './memory.js';
export * from './train.js';
export * from './io.js';
export * from './analysis.js';
export * from './report.js';
export * from './cli.js';
export * from './config.js';
export * from './drift.js';
