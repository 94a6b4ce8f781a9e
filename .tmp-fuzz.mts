import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { vegaLiteValidator } from './test/report/json-schema.ts';
const require = createRequire('/tmp/ajvcheck/x.js');
const Ajv = require('ajv').default;
const schema = JSON.parse(readFileSync('/work/main/node_modules/vega-lite/build/vega-lite-schema.json','utf8'));
const ajv = new Ajv({ strict: false, validateFormats: false }); const av = ajv.compile(schema);
const mine = vegaLiteValidator();
let seed = 7; const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const specs = [];
for (const dir of ['/tmp/xr/report/figures','/tmp/xr/report-sweep/figures']) for (const f of readdirSync(dir).filter(f=>f.endsWith('.vl.json'))) { const s = JSON.parse(readFileSync(`${dir}/${f}`,'utf8')); for (const k of Object.keys(s.datasets)) s.datasets[k] = s.datasets[k].slice(0, 3); specs.push(s); }
function paths(o, p = []) { const out = [p]; if (o && typeof o === 'object') for (const k of Object.keys(o)) out.push(...paths(o[k], [...p, k])); return out; }
const vals = [1, -1, 0.5, 'x', 'line', 'quantitative', true, null, [], {}, [1,2], {field:'a'}, 'log', 300];
let agree = 0, disagree = 0, invalid = 0;
for (const s of specs) for (let i = 0; i < 300; i++) {
  const c = structuredClone(s); const ps = paths(c).filter(p => p.length > 0); const p = ps[Math.floor(rnd() * ps.length)];
  let parent = c; for (const k of p.slice(0, -1)) parent = parent[k]; const last = p.at(-1);
  const r = rnd(); if (r < 0.4) parent[last] = vals[Math.floor(rnd() * vals.length)]; else if (r < 0.7) { if (Array.isArray(parent)) parent.splice(last, 1); else delete parent[last]; } else if (!Array.isArray(parent) && typeof parent === 'object') parent['zz' + Math.floor(rnd()*3)] = 1; else parent[last] = 'zz';
  const a = av(c); const m = mine.validate(c).length === 0;
  if (a === m) agree++; else { disagree++; if (disagree < 5) console.log('DISAGREE ajv', a, 'mine', m, p.join('/'), JSON.stringify(parent[last])?.slice(0,80)); }
  if (!a) invalid++;
}
console.log({ agree, disagree, invalid });
