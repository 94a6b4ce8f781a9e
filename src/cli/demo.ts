import type { CommandModule } from 'yargs';
import { join } from 'node:path';
import { runDemo } from '../demo/demo.js';
import { formatDemoSummary } from './demo-summary.js';
import { buildReport } from '../report/build-report.js';
import { renderReport } from '../report/render-report.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { withInterrupt } from './train.js';
import { formatDuration } from '../train/progress.js';
import { VERBS } from './verbs.js';

interface DemoArgs { out: string; quick: boolean; policy: string; overwrite: boolean; quiet: boolean; backend?: 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu'; dataset?: string; seed?: number; threads?: number }

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: VERBS.demo.usage,
  describe: VERBS.demo.describe,
  builder: (y) =>
    y.option('out', { type: 'string', default: 'runs/demo', describe: 'folder for the two runs, the report and summary.md' })
      .option('quick', { type: 'boolean', default: false, describe: 'a smaller budget (about 2 minutes on 2 cores)' })
      .option('policy', { type: 'string', default: 'staleness', describe: 'warm-up policy deciding the XBM start' })
      .option('overwrite', { type: 'boolean', default: true, describe: 'replace an earlier demo in --out' })
      .option('quiet', { type: 'boolean', default: false })
      .option('dataset', { type: 'string', describe: 'dataset (default: the embedded default)' })
      .option('backend', { choices: ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const })
      .option('threads', { type: 'number' })
      .option('seed', { type: 'number' }) as never,
  handler: async (args) => {
    const started = Date.now();
    const log = (line: string) => process.stderr.write(line + '\n');
    const r = await withInterrupt((signal) => runDemo({
      out: args.out, quick: args.quick, policy: args.policy, overwrite: args.overwrite, quiet: args.quiet, signal, log,
      flags: { dataset: args.dataset, backend: args.backend, seed: args.seed, threads: args.threads },
    }));
    const reportDir = join(args.out, 'report');
    log(`4/4 report -> ${reportDir}`);
    await renderReport(await buildReport([r.baselineDir, r.xbmDir]), reportDir);
    const summary = `${formatDemoSummary({ ...r, reportDir })}\nReport: ${join(reportDir, 'index.html')}\nWall time: ${formatDuration((Date.now() - started) / 1000)}\n`;
    writeFileAtomic(join(args.out, 'summary.md'), summary);
    process.stdout.write('\n' + summary);
  },
};
