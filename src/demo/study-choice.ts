/**
 * The demo's XBM configuration and start policy: the XBM study's choice, defined once in
 * config/study-choice.ts (train's defaults read the same constant and rule).
 */
export { STUDY_CHOICE as DEMO_XBM } from '../config/study-choice.js';
