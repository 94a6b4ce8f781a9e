import { makePair } from './test/report/fixtures.ts';
import { buildReport } from './src/report/build-report.ts';
import { renderReport } from './src/report/render-report.ts';
const { baseline, xbm } = await makePair('/tmp/xr/p', { iterations: 120 });
const r = await buildReport([baseline, xbm], { theme: 'paper', smooth: 5 });
await renderReport(r, '/tmp/xr/p/report');
