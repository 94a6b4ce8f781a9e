import { readFileSync } from 'node:fs';
import { specToSvg, svgWidth, fitToWidth } from './src/report/render-svg.ts';
const h = (svg: string) => /height="([\d.]+)"/.exec(svg)![1];
for (const id of ['losses', 'retrieval', 'staleness', 'drift', 'mining']) {
const spec = JSON.parse(readFileSync(`/tmp/xr/p/report/figures/${id}.vl.json`, 'utf8'));
spec.config.legend.direction = 'vertical'; delete spec.config.legend.columns;
const { svg } = await specToSvg(spec); 
const f = await fitToWidth(spec, id === 'staleness' || id === 'mining' ? 504 : 240);
console.log(id, svgWidth(svg), h(svg), 'fitted', svgWidth(f.svg), h(f.svg));
}
