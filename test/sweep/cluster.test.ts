// --plan, --point, --collect, --slurm (with stand-in sbatch and squeue on PATH) and --k8s,
// without a cluster: the real Slurm run is in slurm.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/errors.js';
import { reportMessages } from '../../src/messages/report.js';
import { readCsvRaw } from '../../src/io/csv.js';
import { readSlurmSubmissions, sweepPaths } from '../../src/io/formats/sweep-file.js';
import { sweepCommand, sweepMain, type SweepArgs, type SweepOutcome } from '../../src/cli/sweep.js';
import { processPointRunner } from '../../src/sweep/point-runner.js';
import { arraySpec } from '../../src/sweep/slurm.js';
import { runCommand } from '../report/cli-harness.js';
import { tempDir } from '../helpers/tmp.js';
import { parseYamlSubset } from './yaml-subset.js';

const FAKE = fileURLToPath(new URL('./fake-train.mjs', import.meta.url));

async function parse(args: string[]): Promise<SweepArgs> {
  return (await runCommand<SweepArgs>(sweepCommand, ['sweep', ...args], true))!;
}

const calls = (file: string): string[][] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

/** sweepMain with a fake trainer and captured output; the exit status it would set is returned, not left on the process. */
async function sweep(args: string[], o: { env?: NodeJS.ProcessEnv; calls?: string; fail?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    const outcome: SweepOutcome = await sweepMain(
      await parse(args),
      {
        runPoint: processPointRunner(process.execPath, [FAKE, 'train'], { ...process.env, FAKE_TRAIN_CALLS: o.calls ?? '', FAKE_TRAIN_FAIL: o.fail ?? '' }),
        io: { out: (l) => out.push(l), err: (l) => err.push(l) },
        env: o.env ?? {},
        command: ['/opt/node/bin/node', '/opt/xbm drift/bin/xbm-drift.js'],
        cwd: '/home/me/project',
      },
      true,
    );
    return { outcome, out, err, exitCode: process.exitCode ?? 0 };
  } finally {
    process.exitCode = before;
  }
}

/** A folder with stand-in sbatch and squeue: sbatch records its arguments and script, prints a job id. */
function fakeSlurm(dir: string, o: { active?: boolean } = {}): { env: NodeJS.ProcessEnv } {
  const bin = join(dir, 'fake-bin');
  mkdirSync(bin, { recursive: true });
  const record = join(dir, 'sbatch-calls');
  mkdirSync(record, { recursive: true });
  writeFileSync(
    join(bin, 'sbatch'),
    `#!/bin/sh\nn=$(ls ${record} | grep -c args)\necho "$@" > ${record}/$n.args\ncp "$2" ${record}/$n.script\necho "$((4242 + n));xbmtest"\n`,
  );
  writeFileSync(join(bin, 'squeue'), o.active ? '#!/bin/sh\necho "$3_1"\n' : '#!/bin/sh\nexit 0\n');
  chmodSync(join(bin, 'sbatch'), 0o755);
  chmodSync(join(bin, 'squeue'), 0o755);
  return { env: { PATH: `${bin}:/usr/bin:/bin` } };
}

function submissions(dir: string): { args: string; script: string }[] {
  const record = join(dir, 'sbatch-calls');
  const out: { args: string; script: string }[] = [];
  for (let n = 0; existsSync(join(record, `${n}.args`)); n++) out.push({ args: readFileSync(join(record, `${n}.args`), 'utf8').trim(), script: readFileSync(join(record, `${n}.script`), 'utf8') });
  return out;
}

const GRID = ['--grid', 'batch=16,32', '--grid', 'xbm=off,on', '--iters', '5'];
// A fixed start for xbm=on: an automatic one needs more snapshots than 5 iterations take.
const FLAGS = ['--', '--xbm-size', '256', '--xbm-start', '2', '--lr', '0.01'];

test('arraySpec: consecutive indices become ranges', () => {
  assert.equal(arraySpec([0, 1, 2, 3]), '0-3');
  assert.equal(arraySpec([5, 0, 2, 3, 7, 8, 9]), '0,2-3,5,7-9');
  assert.equal(arraySpec([2]), '2');
});

test('--plan checks every point, writes sweep.json and plan.tsv, trains nothing', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 's');
  const callFile = join(dir, 'calls.jsonl');
  const r = await sweep([...GRID, '--out', out, '--plan', ...FLAGS], { calls: callFile });
  assert.equal(r.exitCode, 0);
  assert.deepEqual(calls(callFile), []);
  const lines = readFileSync(sweepPaths(out).plan, 'utf8').trimEnd().split('\n').map((l) => l.split('\t'));
  assert.deepEqual(lines[0], ['index', 'point', 'run_dir', 'train_args']);
  assert.deepEqual(lines.slice(1).map((l) => l.slice(0, 3)), [
    ['0', 'batch-16_xbm-off', 'batch-16_xbm-off'],
    ['1', 'batch-16_xbm-on', 'batch-16_xbm-on'],
    ['2', 'batch-32_xbm-off', 'batch-32_xbm-off'],
    ['3', 'batch-32_xbm-on', 'batch-32_xbm-on'],
  ]);
  assert.equal(lines[3][3], `--xbm-size 256 --lr 0.01 --batch-size 32 --xbm-start off --iterations 5 --out ${join(out, 'batch-32_xbm-off')}`);
  assert.ok(existsSync(sweepPaths(out).json));
  assert.ok(!existsSync(join(out, 'batch-16_xbm-off')), 'no run folder');

  // Every point is still checked first: a bad value writes nothing, in every mode.
  for (const mode of [['--plan'], ['--slurm'], ['--k8s', '--image', 'x']]) {
    const bad = join(dir, `bad${mode[0]}`);
    await assert.rejects(
      sweep(['--grid', 'batch=abc,16', '--out', bad, ...mode]),
      (e: unknown) => e instanceof UserError && e.message.startsWith('sweep point batch-abc would fail: '),
    );
    assert.ok(!existsSync(bad), `nothing written for ${mode}`);
  }
});

test('--point trains exactly one point: by index, from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX; a completed one is left alone', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 's');
  const callFile = join(dir, 'calls.jsonl');
  await sweep([...GRID, '--out', out, '--plan', ...FLAGS]);
  const one = await sweep(['--point', '2', out], { calls: callFile });
  assert.equal(one.exitCode, 0, one.err.join('\n'));
  assert.deepEqual(calls(callFile), [['--xbm-size', '256', '--lr', '0.01', '--batch-size', '32', '--xbm-start', 'off', '--iterations', '5', '--out', join(out, 'batch-32_xbm-off')]]);
  const slurm = await sweep(['--point', out], { calls: callFile, env: { SLURM_ARRAY_TASK_ID: '1' } });
  const k8s = await sweep(['--point', 'env', out], { calls: callFile, env: { JOB_COMPLETION_INDEX: '3' } });
  assert.equal(slurm.exitCode + k8s.exitCode, 0);
  assert.deepEqual(calls(callFile).map((a) => a.at(-1)), [join(out, 'batch-32_xbm-off'), join(out, 'batch-16_xbm-on'), join(out, 'batch-32_xbm-on')]);
  const again = await sweep(['--point', '2', out], { calls: callFile });
  assert.equal(again.exitCode, 0);
  assert.deepEqual(again.out, [reportMessages.pointSkipped(2, 'batch-32_xbm-off')]);
  assert.equal(calls(callFile).length, 3, 'a completed point is not trained again');
  await assert.rejects(sweep(['--point', '4', out]), new UserError(reportMessages.badPointIndex('4', 4)));
  await assert.rejects(sweep(['--point', 'env', out]), new UserError(reportMessages.noPointIndex));
  await assert.rejects(sweep(['--point', '0', join(dir, 'none')]), new UserError(reportMessages.noSweepFile(join(dir, 'none'))));
  const failed = await sweep(['--point', '0', out], { fail: 'batch-16_xbm-off' });
  assert.equal(failed.exitCode, 1, 'a failed point exits non-zero, so Slurm and Kubernetes see it');
});

test('--collect writes sweep.csv of the finished points and names the missing and failed in one line', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 's');
  await sweep([...GRID, '--out', out, '--plan', ...FLAGS]);
  await sweep(['--point', '0', out]);
  await sweep(['--point', '1', out], { fail: 'batch-16_xbm-on' });
  const c = await sweep(['--collect', out]);
  assert.equal(c.exitCode, 1);
  assert.deepEqual(c.err, [reportMessages.collectIncomplete(['2 (batch-32_xbm-off)', '3 (batch-32_xbm-on)'], ['1 (batch-16_xbm-on, incomplete)'], 4)]);
  assert.equal(c.out.at(-1), `sweep: ${sweepPaths(out).csv} (4 points: 1 completed, 2 missing, 1 failed or unfinished)`);
  const csv = await readCsvRaw(sweepPaths(out).csv);
  assert.deepEqual(csv.map((r) => r.status), ['completed', 'incomplete', 'pending', 'pending']);
  assert.equal(Number(csv[0].recall_at_1), 0.3);
  for (const i of ['1', '2', '3']) await sweep(['--point', i, out]);
  const all = await sweep(['--out', out, '--collect']);
  assert.equal(all.exitCode, 0);
  assert.deepEqual(all.err, []);
});

test('--slurm writes the array script, submits it with sbatch --parsable, and a rerun submits only the unfinished points', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 's');
  const slurm = fakeSlurm(dir);
  const base = [...GRID, '--out', out, '--slurm', '--partition', 'gpu', '--time', '1:00:00', '--cpus-per-task', '4', '--gpus-per-task', '1', '--mem', '8G'];
  const args = [...base, ...FLAGS];
  const first = await sweep(args, { env: slurm.env });
  assert.equal(first.exitCode, 0, first.err.join('\n'));
  const [sub] = submissions(dir);
  assert.equal(sub.args, `--parsable ${join(out, 'slurm', 'sweep.sbatch')}`);
  assert.equal(sub.script, readFileSync(sweepPaths(out).sbatch, 'utf8'));
  const directives = sub.script.split('\n').filter((l) => l.startsWith('#SBATCH ')).map((l) => l.slice(8));
  assert.deepEqual(directives, [
    '--job-name=xbm-sweep-s', '--array=0-3', `--output=${join(out, 'logs', 'point-%a.log')}`, '--chdir=/home/me/project', '--ntasks=1',
    '--partition=gpu', '--time=1:00:00', '--cpus-per-task=4', '--gpus-per-task=1', '--mem=8G',
  ]);
  assert.match(sub.script, new RegExp(`^exec /opt/node/bin/node '/opt/xbm drift/bin/xbm-drift.js' sweep --point "\\$SLURM_ARRAY_TASK_ID" ${out}$`, 'm'));
  assert.ok(existsSync(sweepPaths(out).logs), 'logs/ exists before Slurm opens the task logs');
  assert.deepEqual(readSlurmSubmissions(out).map((s) => [s.jobId, s.indices]), [['4242', [0, 1, 2, 3]]]);
  assert.match(first.out.at(-1)!, /^sweep: submitted Slurm job 4242 \(4 of 4 points\)/);

  // Two points finish; the rerun submits the other two.
  await sweep(['--point', '0', out]);
  await sweep(['--point', '3', out]);
  const second = await sweep(args, { env: slurm.env });
  assert.equal(second.exitCode, 0);
  assert.equal(submissions(dir).length, 2);
  assert.match(submissions(dir)[1].script, /^#SBATCH --array=1-2$/m);
  assert.deepEqual(readSlurmSubmissions(out).map((s) => [s.jobId, s.indices]), [['4242', [0, 1, 2, 3]], ['4243', [1, 2]]]);

  // --dry-run prints the script and submits nothing.
  const dry = await sweep([...base, '--dry-run', ...FLAGS], { env: slurm.env });
  assert.equal(submissions(dir).length, 2);
  assert.ok(dry.out.join('\n').includes('#SBATCH --array=1-2'));
  assert.match(dry.out.at(-1)!, /dry run: .* written for 2 of 4 points, nothing submitted/);

  // While the last job is in the queue, --slurm refuses instead of submitting the same points twice.
  const busy = fakeSlurm(join(dir, 'busy'), { active: true });
  await assert.rejects(sweep(args, { env: busy.env }), new UserError(reportMessages.slurmJobActive('4243')));

  // Everything done: nothing to submit.
  for (const i of ['1', '2']) await sweep(['--point', i, out]);
  const none = await sweep(args, { env: slurm.env });
  assert.deepEqual(none.out, [reportMessages.gridCount(4, 'batch 2 x xbm 2'), reportMessages.nothingToSubmit(out)]);
  assert.equal(submissions(dir).length, 2);
});

test('--slurm without sbatch: one line naming the script; bad resources and mixed modes are refused before any write', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 's');
  const empty = join(dir, 'empty-bin');
  mkdirSync(empty);
  await assert.rejects(sweep([...GRID, '--out', out, '--slurm', ...FLAGS], { env: { PATH: empty } }), new UserError(reportMessages.sbatchMissing(sweepPaths(out).sbatch)));
  assert.equal(reportMessages.sbatchMissing('x').includes('\n'), false);
  const fresh = join(dir, 'fresh');
  await assert.rejects(sweep([...GRID, '--out', fresh, '--slurm', '--time', 'soon']), new UserError(reportMessages.badResource('time', 'soon', 'give minutes or [D-]HH:MM:SS, e.g. 2:00:00')));
  await assert.rejects(sweep([...GRID, '--out', fresh, '--slurm', '--mem', 'lots']), (e: unknown) => e instanceof UserError && e.message.startsWith('--mem lots'));
  await assert.rejects(sweep([...GRID, '--out', fresh, '--plan', '--slurm']), new UserError(reportMessages.sweepModes(['plan', 'slurm'])));
  await assert.rejects(sweep([...GRID, '--out', fresh, '--partition', 'gpu']), new UserError(reportMessages.clusterOnly('partition', 'slurm or --k8s')));
  await assert.rejects(sweep([...GRID, '--out', fresh, '--slurm', '--image', 'x']), new UserError(reportMessages.clusterOnly('image', 'k8s')));
  await assert.rejects(sweep([...GRID, '--out', fresh, '--k8s']), new UserError(reportMessages.k8sImage));
  await assert.rejects(parse(['--plan', '--out', fresh]), (e: unknown) => e instanceof UserError && /grid/.test(e.message));
  await assert.rejects(sweep(['--collect']), new UserError(reportMessages.sweepDirNeeded('collect')));
  assert.ok(!existsSync(fresh), 'nothing written');
});

test('--k8s writes an Indexed Job whose pods run the same per-point command with JOB_COMPLETION_INDEX', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 's');
  const callFile = join(dir, 'calls.jsonl');
  const r = await sweep([...GRID, '--out', out, '--k8s', '--image', 'ghcr.io/lab/xbm-drift:0.1', '--parallelism', '2', '--pvc', 'sweeps', '--mount-path', '/sweeps/s', '--cpus-per-task', '2', '--mem', '4000', '--gpus-per-task', '1', ...FLAGS]);
  assert.equal(r.exitCode, 0);
  const text = readFileSync(sweepPaths(out).k8s, 'utf8');
  const job = parseYamlSubset(text) as any;
  assert.equal(job.apiVersion, 'batch/v1');
  assert.equal(job.kind, 'Job');
  assert.equal(job.metadata.name, 'xbm-sweep-s');
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.equal(job.spec.completions, 4);
  assert.equal(job.spec.parallelism, 2);
  const pod = job.spec.template.spec;
  assert.equal(pod.restartPolicy, 'Never');
  assert.equal(pod.containers.length, 1);
  const c = pod.containers[0];
  assert.equal(c.image, 'ghcr.io/lab/xbm-drift:0.1');
  assert.deepEqual(c.command, ['xbm-drift', 'sweep', '--point', 'env', '/sweeps/s']);
  assert.deepEqual(c.volumeMounts, [{ name: 'sweep', mountPath: '/sweeps/s' }]);
  assert.deepEqual(pod.volumes, [{ name: 'sweep', persistentVolumeClaim: { claimName: 'sweeps' } }]);
  assert.deepEqual(c.resources.limits, { cpu: '2', memory: '4000Mi', 'nvidia.com/gpu': '1' });

  // The pod's command, run here with the folder where it is mounted and JOB_COMPLETION_INDEX=3, trains point 3.
  const podArgs = (c.command as string[]).slice(1, -1).concat(out);
  const ran = await sweep(podArgs.slice(1), { calls: callFile, env: { JOB_COMPLETION_INDEX: '3' } });
  assert.equal(ran.exitCode, 0);
  assert.deepEqual(calls(callFile).map((a) => a.at(-1)), [join(out, 'batch-32_xbm-on')]);
});
