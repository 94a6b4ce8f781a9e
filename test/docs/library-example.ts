import { SnapshotReader, computeDrift, decideWarmup, parseWarmupPolicy } from '../../src/index.ts';
const drift = computeDrift(SnapshotReader.open('runs/base'), [10, 100]);
const d = decideWarmup(drift.rows, parseWarmupPolicy('staleness'), { memorySize: 3000, batchSize: 64, margin: 0.5, lossKind: 'contrastive' });
console.log(d.start, d.reason);
