export type { RunRecord } from '../io/formats/run-record.js';
