// The sweep on a real Slurm: a single-node cluster (munged, slurmctld, slurmd) started in a
// temporary folder, a 4-point sweep of tiny runs submitted with --slurm, one point made to fail,
// --collect, and a resubmission that runs only the failed point. Skipped (said once) where Slurm
// is absent; under CI (process.env.CI set) it fails instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsvRaw } from '../../src/io/csv.js';
import { readSlurmSubmissions, sweepPaths } from '../../src/io/formats/sweep-file.js';
import { runCli, TINY_TRAIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { slurmMissing, startSlurmCluster, waitForJob } from './slurm-cluster.js';

const missing = slurmMissing();
if (missing && process.env.CI) console.error(`${missing}: CI is set, so this test fails instead of skipping.`);

test('a 4-point sweep on a real single-node Slurm: submit, fail one point, collect, resubmit only that point', { skip: missing && !process.env.CI ? missing : false, timeout: 600_000 }, async (t) => {
  if (missing) assert.fail(`CI is set, so this test may not be skipped: ${missing}`);
  const dir = tempDir(t, 'xbm-slurm-');
  const cluster = await startSlurmCluster(join(dir, 'cluster'));
  try {
    const out = join(dir, 'sweep');
    const paths = sweepPaths(out);
    const sweepArgs = ['sweep', '--grid', 'seed=1,2,3,4', '--iters', '4', '--out', out];
    const trainFlags = ['--', ...TINY_TRAIN];
    const cli = async (args: string[]) => {
      const r = await runCli(args, { env: cluster.env });
      return { ...r, all: `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}` };
    };

    // Plan first, then make point 2 (seed-3) fail at run time: its run folder is a file, so train refuses it.
    const planned = await cli([...sweepArgs, '--plan', ...trainFlags]);
    assert.equal(planned.code, 0, planned.all);
    writeFileSync(paths.point('seed-3'), 'not a folder\n');

    const first = await cli([...sweepArgs, '--slurm', ...trainFlags]);
    assert.equal(first.code, 0, first.all);
    const [sub1] = readSlurmSubmissions(out);
    assert.ok(sub1, 'the submission is recorded in slurm/submissions.jsonl');
    assert.deepEqual(sub1.indices, [0, 1, 2, 3]);
    assert.match(first.stdout, new RegExp(`submitted Slurm job ${sub1.jobId} \\(4 of 4 points\\)`));
    const script1 = readFileSync(paths.sbatch, 'utf8');
    assert.match(script1, /^#SBATCH --array=0-3$/m);
    assert.match(script1, /sweep --point "\$SLURM_ARRAY_TASK_ID" /);
    await waitForJob(cluster, sub1.jobId, 300_000);

    // Slurm ran every task: each wrote its own log; the failed one says why.
    for (const i of [0, 1, 2, 3]) assert.ok(existsSync(paths.taskLog(i)), `${paths.taskLog(i)} exists\n${cluster.logs()}`);
    assert.match(readFileSync(paths.taskLog(2), 'utf8'), /sweep point seed-3 failed/);

    const logOf = (f: string) => (existsSync(f) ? `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(0, 30).join('\n')}` : `--- ${f}: absent`);
    const collected = await cli(['sweep', '--collect', out]);
    const why = `${collected.all}\n${logOf(paths.taskLog(0))}\n${logOf(paths.log('seed-1'))}`;
    assert.equal(collected.code, 1, why);
    assert.equal(collected.stderr.trim().split('\n').length, 1, why);
    assert.ok(/1 of 4 sweep point\(s\) not completed: failed or unfinished 2 \(seed-3, incomplete\)/.test(collected.stderr), why);
    assert.match(collected.stdout, /4 points: 3 completed, 0 missing, 1 failed or unfinished/);
    const csv1 = await readCsvRaw(paths.csv);
    assert.deepEqual(csv1.map((r) => [r.seed, r.status]), [['1', 'completed'], ['2', 'completed'], ['3', 'incomplete'], ['4', 'completed']]);

    // The others' run.json, to check the resubmission leaves them alone.
    const done = ['seed-1', 'seed-2', 'seed-4'];
    const before = done.map((p) => ({ mtimeMs: statSync(join(out, p, 'run.json')).mtimeMs, text: readFileSync(join(out, p, 'run.json'), 'utf8') }));

    // Fix the cause and resubmit the same command: only point 2 is submitted.
    rmSync(paths.point('seed-3'));
    const second = await cli([...sweepArgs, '--slurm', ...trainFlags]);
    assert.equal(second.code, 0, second.all);
    const subs = readSlurmSubmissions(out);
    assert.equal(subs.length, 2);
    const sub2 = subs[1];
    assert.notEqual(sub2.jobId, sub1.jobId);
    assert.deepEqual(sub2.indices, [2]);
    assert.match(readFileSync(paths.sbatch, 'utf8'), /^#SBATCH --array=2$/m);
    assert.match(second.stdout, /\(1 of 4 points\)/);
    await waitForJob(cluster, sub2.jobId, 300_000);

    const again = await cli(['sweep', '--collect', out]);
    assert.equal(again.code, 0, `${again.all}\n${logOf(paths.taskLog(2))}\n${logOf(paths.log('seed-3'))}`);
    assert.equal(again.stderr, '');
    const csv2 = await readCsvRaw(paths.csv);
    assert.deepEqual(csv2.map((r) => r.status), ['completed', 'completed', 'completed', 'completed']);
    assert.ok(csv2.every((r) => Number.isFinite(Number(r.recall_at_1)) && r.recall_at_1 !== ''), JSON.stringify(csv2));
    done.forEach((p, i) => {
      assert.equal(statSync(join(out, p, 'run.json')).mtimeMs, before[i].mtimeMs, `${p}/run.json untouched by the resubmission`);
      assert.equal(readFileSync(join(out, p, 'run.json'), 'utf8'), before[i].text);
    });

    // A third --slurm has nothing left to submit.
    const third = await cli([...sweepArgs, '--slurm', ...trainFlags]);
    assert.equal(third.code, 0, third.all);
    assert.match(third.stdout, /nothing to submit/);
    assert.equal(readSlurmSubmissions(out).length, 2);
  } finally {
    await cluster.stop();
  }
});
