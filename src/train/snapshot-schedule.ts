/** The snapshot schedule lives in config/ (the config checks a policy's window against it); re-exported for the trainer's imports. */
export { scheduledGap, snapshotIterations, snapshotSchedule } from '../config/snapshot-schedule.js';
