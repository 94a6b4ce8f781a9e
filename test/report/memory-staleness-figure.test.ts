/**
 * The in-loss staleness figure (memory-staleness.csv): its pooling against a hand count, its golden
 * SVG on a fixed input, and a skip when no run has the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { figureContext } from '../../src/report/build-report.js';
import { memoryStalenessFigure } from '../../src/report/figures/memory-staleness.js';
import { specToSvg } from '../../src/report/render-svg.js';
import type { MemoryStalenessRow } from '../../src/io/formats/memory-staleness.js';
import { reportMessages } from '../../src/messages/report.js';
import type { RunTables } from '../../src/report/types.js';
import { vegaLiteErrors } from './json-schema.js';
import { compareGolden } from './golden.js';

/** Bins 0..8 from iteration 11 on; the compensated run's old rows drift less. */
function rows(drift: number): MemoryStalenessRow[] {
  const out: MemoryStalenessRow[] = [];
  for (let i = 11; i <= 90; i++)
    for (const bin of [0, 1, 2, 4, 8]) {
      const returned = bin === 0 ? 0 : 1 + ((i + bin) % 3);
      const d = drift * (1 + bin) * (1 + 20 / i);
      out.push({ iteration: i, age_bin: bin, entries: 16 * Math.max(1, bin), pairs: 256 * Math.max(1, bin), active_pairs: Math.round((256 * Math.max(1, bin)) / (2 + bin)), returned, mean_sq_drift: returned ? d : NaN, max_sq_drift: returned ? 2 * d : NaN });
    }
  return out;
}

test('memory-staleness: drift pooled over returned samples, active shares sum to 1 per window; golden SVG (UPDATE_GOLDEN=1 to accept a change)', async () => {
  const runs = [
    { key: 'xbm', memoryStaleness: rows(0.05) },
    { key: 'xbm-sdc', memoryStaleness: rows(0.01) },
    { key: 'baseline', memoryStaleness: null },
  ] as unknown as RunTables[];
  const out = memoryStalenessFigure({ runs, sweeps: [] }, figureContext(runs, {}));
  assert.equal(out.kind, 'figure');
  if (out.kind !== 'figure') return;
  const data = out.figure.data;
  // 80 iterations in 40 windows of 2: the first window holds iterations 11 and 12.
  const first = data.filter((r) => r.run === 'xbm' && r.iteration === 12);
  const source = rows(0.05).filter((r) => r.iteration <= 12);
  const bin1 = source.filter((r) => r.age_bin === 1);
  const pooled = bin1.reduce((a, r) => a + r.returned * r.mean_sq_drift, 0) / bin1.reduce((a, r) => a + r.returned, 0);
  assert.ok(Math.abs((first.find((r) => r.panel === 'drift' && r.age_bin === 1)!.value as number) - pooled) < 1e-12);
  const shares = first.filter((r) => r.panel === 'active').map((r) => r.value as number);
  assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-12, String(shares));
  assert.ok(!data.some((r) => r.panel === 'drift' && r.age_bin === 0), 'nothing returns at age 0');
  assert.deepEqual(vegaLiteErrors(out.figure.spec), []);
  const { svg, warnings } = await specToSvg(out.figure.spec);
  assert.deepEqual(warnings, []);
  assert.equal(compareGolden('memory-staleness', svg), null);
  const none = memoryStalenessFigure({ runs: [runs[2]], sweeps: [] }, figureContext([runs[2]], {}));
  assert.deepEqual(none.kind === 'skipped' && none.skipped.reason, reportMessages.noMemoryStaleness);
});
