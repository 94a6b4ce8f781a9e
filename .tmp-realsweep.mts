import { sweepMain } from './src/cli/sweep.ts';
const t = Date.now();
const res = await sweepMain({ grid: ['batch=16,32', 'xbm=off,on'], out: '/tmp/xr/realsweep2', iters: 40, jobs: 1, '--': ['--eval-every', '20', '--snapshot-every', '10', '--probe-size', '64', '--checkpoint-every', '0', '--images-per-class', '20', '--xbm-size', '256', '--xbm-start', '20', '--staleness-every', '5', '--quiet'] });
console.log('seconds', (Date.now() - t) / 1000, res.failed);
