import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Theme } from './theme.js';
import type { StartDecision } from '../io/formats/start-decision.js';
import type { Figure, ReportSummary, RunSummary, SkippedFigure } from './types.js';
import { chooserTag, startStory, type StartStory } from './start-story.js';

/**
 * The minified browser builds of vega, vega-lite and vega-embed, for inlining. The packages'
 * `exports` hide build/*.min.js, so resolve each main entry and read the file next to it.
 */
export function browserLibraries(): { name: string; code: string }[] {
  const require = createRequire(import.meta.url);
  const lib = (pkg: string, file: string) => ({ name: pkg, code: readFileSync(join(dirname(require.resolve(pkg)), file), 'utf8') });
  return [lib('vega', 'vega.min.js'), lib('vega-lite', 'vega-lite.min.js'), lib('vega-embed', 'vega-embed.min.js')];
}

export const escapeHtml = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Library code inside a <script>: a "</script" in one of its strings must not end the element. */
const scriptSafe = (code: string) => code.replace(/<\/(script)/gi, '<\\/$1');
/** JSON inside a <script>: "<" only occurs in strings, where \u003c means the same. */
const jsonInScript = (json: string) => json.replace(/</g, '\\u003c');
/** A CSS string literal inside <style>. */
const cssString = (s: string) => `"${s.replace(/[\\"]/g, '\\$&').replace(/</g, '\\3c ').replace(/\n/g, ' ')}"`;

const fmt = (v: number | undefined, digits = 3) => (v === undefined || !Number.isFinite(v) ? '–' : Number(v.toFixed(digits)).toString());

/** The start in the runs table: the iteration and, briefly, who chose it. */
function startText(r: RunSummary): string {
  const story = startStory(summaryFacts(r));
  if (r.start === null) return story.chooser === 'online' ? `not reached (${story.decision!.policy})` : 'off';
  if (r.start === undefined) return '–';
  return `${r.start} (${chooserTag(story)})`;
}

const summaryFacts = (r: RunSummary) => ({ key: r.key, start: r.start, decision: r.decision, suggestion: r.suggestion, suggestionSource: r.suggestionSource });

/** The columns that fit a page: the run, its memory and start, and the results. */
const MAIN_COLUMNS = ['run', 'memory M', 'XBM start', 'R@1', 'MAP@R', 'ms / iter', 'collapse'];

function runsTable(runs: readonly RunSummary[]): string {
  const head = ['run', 'dataset', 'status', 'iterations', 'batch', 'loss', 'memory M', 'weight', 'XBM start', 'R@1', 'R@2', 'R@4', 'R@8', 'MAP@R', 'ms / iter', 'collapse'];
  const textColumns = new Set(['run', 'dataset', 'status', 'loss', 'XBM start', 'collapse']);
  const cls = (h: string) => (textColumns.has(h) ? ' class="l"' : '');
  const rows = runs.map((r) => {
    const collapse = r.collapse ? (r.collapse.collapsed ? '<span class="bad">collapsed</span>' : 'no') : '–';
    const cells = [
      `<span class="swatch" data-run="${escapeHtml(r.key)}"></span>${escapeHtml(r.key)}`,
      escapeHtml(r.dataset),
      escapeHtml(r.status ?? '–'),
      fmt(r.iterations, 0),
      fmt(r.batchSize, 0),
      escapeHtml(r.loss ?? '–'),
      r.start === null && !r.memorySize ? '–' : fmt(r.memorySize, 0),
      fmt(r.memoryWeight),
      escapeHtml(startText(r)),
      fmt(r.final.recall_at_1),
      fmt(r.final.recall_at_2),
      fmt(r.final.recall_at_4),
      fmt(r.final.recall_at_8),
      fmt(r.final.map_at_r),
      fmt(r.msPerIteration, 1),
      collapse,
    ];
    return Object.fromEntries(head.map((h, i) => [h, cells[i]]));
  });
  const table = (columns: readonly string[], className: string) =>
    `<table class="${className}"><thead><tr>${columns.map((h) => `<th${cls(h)}>${h}</th>`).join('')}</tr></thead><tbody>${rows
      .map((row) => `<tr>${columns.map((h) => `<td${cls(h)}>${row[h]}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>`;
  return `${table(MAIN_COLUMNS, 'runs')}
<details class="more"><summary>Every column: dataset, status, iterations, batch, loss, memory weight, R@2, R@4, R@8</summary><div class="scroll">${table(head, 'runs-all')}</div></details>`;
}

/** HTML: who wrote analysis/warmup.json. */
const writerText = (w: StartStory['writer']) => (w === 'demo' ? 'the demo' : '<code>xbm-drift warmup</code>');
const params = (d: StartDecision) =>
  d.parameters && typeof d.parameters === 'object' ? Object.entries(d.parameters as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`).join(', ') : '';
const policyName = (d: StartDecision) => `the <code>${escapeHtml(d.policy)}</code> policy${params(d) ? ` (${escapeHtml(params(d))})` : ''}`;

/** The memory span in one sentence, when the evidence has it (the reason names S, not how it follows). */
function spanSentence(evidence: unknown): string {
  const ev = evidence !== null && typeof evidence === 'object' ? (evidence as Record<string, unknown>) : {};
  const [span, m, b] = ['memorySpan', 'memorySize', 'batchSize'].map((k) => (typeof ev[k] === 'number' && Number.isFinite(ev[k]) ? (ev[k] as number) : undefined));
  return span !== undefined && m !== undefined && b !== undefined ? `S = ⌈M/B⌉ = ⌈${m}/${b}⌉ = ${span} iterations, the span of a full memory.` : '';
}

/** The rule's derivation and the raw evidence, folded away. */
function evidenceDetails(d: StartDecision): string {
  if (d.evidence === undefined) return '';
  const ev = d.evidence !== null && typeof d.evidence === 'object' ? (d.evidence as Record<string, unknown>) : {};
  const rule = typeof ev.thresholdDerivation === 'string' && ev.thresholdDerivation ? `<p>The rule: ${escapeHtml(ev.thresholdDerivation)}</p>` : '';
  return `<details><summary>Evidence: the rule and the values read</summary>${rule}<pre>${escapeHtml(JSON.stringify(d.evidence, null, 2))}</pre></details>`;
}

/** A decision in a few sentences (who, when, why), its evidence folded away; `brief`: the lead only. */
function decisionText(lead: string, d: StartDecision, brief = false): string {
  if (brief) return `<p>${lead}</p>`;
  const sentences = [d.reason ?? '', spanSentence(d.evidence)].filter(Boolean).map((t) => escapeHtml(t));
  return `<p>${lead}${sentences.length ? ` ${sentences.join(' ')}` : ''}</p>${evidenceDetails(d)}`;
}

/** Who chose the start and from which run's drift, in a few sentences (start-story.ts). */
function startBlock(r: RunSummary, reportKeys: ReadonlySet<string>): string {
  const story = startStory(summaryFacts(r));
  const d = story.decision;
  const on = story.readOn === null ? "this run's drift" : `the drift of <b>${escapeHtml(story.readOn)}</b>`;
  // Evidence read on another run of this report is told under that run, once.
  const evidenceHere = story.readOn === null || !reportKeys.has(story.readOn);
  const file = `analysis/warmup.json, written by ${writerText(story.writer)}`;
  switch (story.chooser) {
    case 'online':
      return decisionText(
        r.start === null
          ? `<b>XBM never started</b>: ${policyName(d!)} watched this run's drift while it trained and did not fire.`
          : `<b>XBM started at iteration ${r.start}</b>, chosen while the run trained by ${policyName(d!)} from this run's drift.`,
        d!,
      );
    case 'suggestion':
      return decisionText(
        `<b>XBM started at iteration ${r.start}</b>, a start fixed in the configuration: ${writerText(story.writer)} took it from ${policyName(d!)}, which read ${on} (${file}).${evidenceHere ? '' : ` Its reason and evidence are under ${escapeHtml(story.readOn!)}.`}`,
        d!,
        !evidenceHere,
      );
    case 'off':
      if (!d) return '';
      return decisionText(
        `<b>No XBM in this run.</b> Warm-up analysis (${file}): ${policyName(d)} ${d.start === null ? 'would not start XBM' : `would start XBM at iteration ${d.start}`}, reading ${on}.`,
        d,
        !evidenceHere,
      );
    case 'configuration': {
      const s = r.suggestion;
      const fixed = `<b>XBM started at iteration ${r.start}</b>, fixed in the configuration.`;
      if (!s) return `<p>${fixed}</p>`;
      const other = startStory({ ...summaryFacts(r), start: null });
      const sOn = other.readOn === null ? "this run's drift" : `the drift of <b>${escapeHtml(other.readOn)}</b>`;
      return decisionText(
        `${fixed} Warm-up analysis (analysis/warmup.json, written by ${writerText(other.writer)}): ${policyName(s)} ${s.start === null ? 'did not fire' : `suggests iteration ${s.start}`}, reading ${sOn}.${
          s.start === null && other.writer === 'demo' ? ' The demo then started XBM halfway through the training budget.' : ''
        }`,
        s,
        other.readOn !== null && reportKeys.has(other.readOn),
      );
    }
    default:
      return '';
  }
}

function signalText(s: unknown): string {
  if (s && typeof s === 'object' && typeof (s as { message?: unknown }).message === 'string') return (s as { message: string }).message;
  return JSON.stringify(s);
}

function runDetails(r: RunSummary, reportKeys: ReadonlySet<string>): string {
  const parts: string[] = [];
  const start = startBlock(r, reportKeys);
  if (start) parts.push(start);
  if (r.collapse?.collapsed) {
    const signals = Array.isArray(r.collapse.signals) ? r.collapse.signals : r.collapse.signals ? [r.collapse.signals] : [];
    parts.push(`<div class="collapse"><h4 class="bad">Collapse detected</h4><ul>${signals.map((s) => `<li>${escapeHtml(signalText(s))}</li>`).join('')}</ul></div>`);
  }
  if (parts.length === 0) return '';
  const meta = [r.dataset, r.seed !== undefined ? `seed ${r.seed}` : '', r.backend ? `backend ${r.backend}` : '', r.wallSeconds !== undefined ? `${fmt(r.wallSeconds, 1)} s` : '']
    .filter(Boolean)
    .join(' · ');
  return `<section class="run-detail"><h3><span class="swatch" data-run="${escapeHtml(r.key)}"></span>${escapeHtml(r.key)} <small>${escapeHtml(r.dir)}${meta ? ` · ${escapeHtml(meta)}` : ''}</small></h3>${parts.join('\n')}</section>`;
}

function figureBlock(f: Figure): string {
  const links = [`figures/${f.id}.svg`, `figures/${f.id}.png`, `figures/${f.id}.vl.json`, `figures/${f.id}.csv`]
    .map((p) => `<a href="${p}">${p.split('.').slice(1).join('.').toUpperCase()}</a>`)
    .join(' · ');
  const notes = [...f.notes.map((n) => `<p>${escapeHtml(n)}</p>`), ...f.warnings.map((w) => `<p class="warn">${escapeHtml(w)}</p>`)].join('');
  return `<figure class="figure ${f.span}" id="fig-${f.id}"><h2>${escapeHtml(f.title)}</h2><div class="vis" id="vis-${f.id}"></div><figcaption>${notes}<p class="links">${links}</p></figcaption></figure>`;
}

export interface HtmlInput {
  title: string;
  summary: ReportSummary;
  figures: readonly Figure[];
  skipped: readonly SkippedFigure[];
  theme: Theme;
  /** Run key -> colour, the same mapping as in the figures. */
  runColors: Record<string, string>;
}

/**
 * A self-contained page: the libraries and every spec (data inlined) sit in the file, so it works
 * offline. When every figure has been drawn, <body> gets data-rendered="<count>"; a failure sets
 * data-render-error. Errors and console.error calls are also collected in data-errors, so a
 * headless browser's DOM dump shows them.
 */
export function reportHtml(input: HtmlInput, libraries = browserLibraries()): string {
  const specs = Object.fromEntries(input.figures.map((f) => [f.id, f.spec]));
  const swatches = Object.entries(input.runColors)
    .map(([k, c]) => `.swatch[data-run=${cssString(k)}]{background:${c}}`)
    .join('\n');
  const s = input.summary;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<script>
window.__reportErrors = [];
(function () {
  function note(msg) { window.__reportErrors.push(String(msg)); if (document.body) document.body.dataset.errors = String(window.__reportErrors.length); }
  window.addEventListener('error', function (e) { note(e.message); });
  window.addEventListener('unhandledrejection', function (e) { note(e.reason); });
  var original = console.error;
  console.error = function () { note(Array.prototype.join.call(arguments, ' ')); return original.apply(console, arguments); };
})();
</script>
${libraries.map((l) => `<script data-lib="${l.name}">${scriptSafe(l.code)}</script>`).join('\n')}
<style>
body { font-family: ${input.theme.font}; margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin: 0 0 0.4em; font-weight: 600; }
h3 { font-size: 1.05em; margin: 1em 0 0.3em; }
h3 small { font-weight: normal; color: #666; }
h4 { font-size: 0.95em; margin: 0.6em 0 0.2em; font-weight: 600; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
th.l, td.l { text-align: left; }
.scroll { overflow-x: auto; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.4em; border-radius: 2px; vertical-align: baseline; background: #999; }
${swatches}
.bad { color: #b00020; font-weight: 600; }
.warn { color: #8a5300; }
details.more > summary, .run-detail details > summary { cursor: pointer; color: #555; font-size: 0.85em; }
.run-detail p { margin: 0.3em 0 0.3em 1.2em; max-width: 62em; line-height: 1.45; font-size: 0.9em; }
.run-detail details { margin-left: 1.2em; }
.collapse { margin-left: 1.2em; font-size: 0.9em; }
pre { max-height: 20em; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: 0.5em; font-size: 0.8em; }
/* Figures fill the page: single-column figures two to a row, double-column ones a full row, each
   drawn to the width of its cell (the SVG keeps its viewBox, so it scales without overflowing). */
#figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); gap: 2em 2.5em; margin-top: 2em; }
.figure { margin: 0; min-width: 0; }
.figure.double { grid-column: 1 / -1; }
.vis.vega-embed { display: block; }
.vis svg.marks { display: block; width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #444; }
figcaption p { margin: 0.2em 0; }
.links a { color: #0060a0; }
</style>
</head>
<body data-figures="${input.figures.length}">
<header><h1>${escapeHtml(input.title)}</h1>
<p>${s.runs.length} run(s)${s.sweeps.length ? `, ${s.sweeps.length} sweep(s)` : ''}; ${input.figures.length} figure(s); theme ${input.theme.name}.</p></header>
<section id="summary">
<h2>Runs</h2>
${runsTable(s.runs)}
${s.sweeps.length ? `<h2>Sweeps</h2><table><thead><tr><th class="l">sweep</th><th class="l">grid</th><th>completed</th><th class="l">folder</th></tr></thead><tbody>${s.sweeps.map((w) => `<tr><td class="l">${escapeHtml(w.key)}</td><td class="l">${escapeHtml(w.gridKeys.join(' × '))}</td><td>${w.completed} / ${w.points}</td><td class="l">${escapeHtml(w.dir)}</td></tr>`).join('')}</tbody></table>` : ''}
${s.runs.map((r) => runDetails(r, new Set(s.runs.map((x) => x.key)))).join('\n')}
${s.warnings.length ? `<h3>Missing data</h3><ul>${s.warnings.map((w) => `<li class="warn">${escapeHtml(w)}</li>`).join('')}</ul>` : ''}
</section>
<section id="figures">
${input.figures.map(figureBlock).join('\n')}
</section>
${input.skipped.length ? `<section id="skipped"><h2>Figures not drawn</h2><ul>${input.skipped.map((k) => `<li><b>${escapeHtml(k.title)}</b>: ${escapeHtml(k.reason)}</li>`).join('')}</ul></section>` : ''}
<script type="application/json" id="specs">${jsonInScript(JSON.stringify(specs))}</script>
<script>
(function () {
  var specs = JSON.parse(document.getElementById('specs').textContent);
  var ids = Object.keys(specs);
  Promise.all(ids.map(function (id) {
    // The page's heading names the figure already; the files keep their title.
    var spec = specs[id];
    delete spec.title;
    return vegaEmbed('#vis-' + id, spec, { renderer: 'svg', actions: { export: true, source: true, compiled: false, editor: false } });
  })).then(function (results) {
    document.body.dataset.rendered = String(results.length);
  }).catch(function (e) {
    document.body.dataset.renderError = String(e && e.message || e);
    console.error(e);
  });
})();
</script>
</body>
</html>
`;
}
