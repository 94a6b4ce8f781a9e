// A single-node Slurm cluster for tests: munged, slurmctld and slurmd from Debian's munge and
// slurm-wlm, started by hand in a temporary folder (no systemd), on free ports, as root.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';

const DAEMONS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo', 'scontrol'];

/** Why no cluster can start here (a missing program, not root), or null. */
export function slurmMissing(): string | null {
  const which = (p: string) => spawnSync('sh', ['-c', `command -v ${p}`], { env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } }).status === 0;
  const absent = DAEMONS.filter((p) => !which(p));
  if (absent.length > 0) return `Slurm test: ${absent.join(', ')} not found (apt-get install slurm-wlm munge, as .ci/run does)`;
  if (process.getuid?.() !== 0) return 'Slurm test: the test cluster runs its daemons as root, and this process is not root';
  return null;
}

export interface SlurmCluster {
  dir: string;
  conf: string;
  /** The environment for sbatch, squeue and the CLI: SLURM_CONF set, /usr/sbin on PATH. */
  env: NodeJS.ProcessEnv;
  /** slurmctld's and slurmd's logs, for a failure message. */
  logs(): string;
  /** scontrol shutdown, then kill whatever is left (by pid file) and munged, each waited for. Never throws. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, () => s.close(() => resolve(true)));
  });
}

/** Two consecutive free TCP ports in a random high range, so a stale cluster cannot collide. */
async function freePorts(): Promise<[number, number]> {
  for (let i = 0; i < 50; i++) {
    const p = 20000 + Math.floor(Math.random() * 30000);
    if ((await portFree(p)) && (await portFree(p + 1))) return [p, p + 1];
  }
  throw new Error('no two free ports for slurmctld and slurmd');
}

function pidOf(file: string): number | null {
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, ok: () => boolean, ms: number, detail: () => string = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not ready after ${ms / 1000} s\n${detail()}`);
    await sleep(250);
  }
}

/** Start munged, slurmctld and slurmd in `dir`; wait until the node is idle. */
export async function startSlurmCluster(dir: string): Promise<SlurmCluster> {
  const d = (...p: string[]) => join(dir, ...p);
  for (const sub of ['munge', 'state', 'spool', 'log']) mkdirSync(d(sub), { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: d('slurm.conf'), PATH: `${process.env.PATH}:/usr/sbin:/sbin` };
  const key = d('munge', 'munge.key');
  writeFileSync(key, randomBytes(1024));
  chmodSync(key, 0o400);
  const socket = d('munge', 'munge.socket');
  const host = hostname();
  const [ctldPort, slurmdPort] = await freePorts();
  writeFileSync(
    d('slurm.conf'),
    [
      'ClusterName=xbmtest',
      `SlurmctldHost=${host}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      `StateSaveLocation=${d('state')}`,
      `SlurmdSpoolDir=${d('spool')}`,
      `SlurmctldPidFile=${d('slurmctld.pid')}`,
      `SlurmdPidFile=${d('slurmd.pid')}`,
      `SlurmctldLogFile=${d('log', 'slurmctld.log')}`,
      `SlurmdLogFile=${d('log', 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'MpiDefault=none',
      'ReturnToService=2',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'SchedulerType=sched/backfill',
      'SchedulerParameters=sched_interval=2',
      `NodeName=${host} CPUs=${availableParallelism()} RealMemory=4000 State=UNKNOWN`,
      'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const logs = () =>
    ['slurmctld.log', 'slurmd.log']
      .map((f) => (existsSync(d('log', f)) ? `--- ${f} (last lines)\n${readFileSync(d('log', f), 'utf8').split('\n').slice(-25).join('\n')}` : `--- ${f}: absent`))
      .join('\n');
  const cluster: SlurmCluster = {
    dir,
    conf: d('slurm.conf'),
    env,
    logs,
    async stop() {
      // Each daemon is waited for until it has exited: munged writes its seed file into the
      // cluster folder as it stops, and removing the folder before that fails with ENOTEMPTY.
      const exited = async (pid: number | null) => {
        if (pid === null) return;
        const end = Date.now() + 10_000;
        while (alive(pid) && Date.now() < end) await sleep(200);
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      };
      spawnSync('scontrol', ['shutdown'], { env, timeout: 10_000 });
      for (const f of ['slurmctld.pid', 'slurmd.pid']) await exited(pidOf(d(f)));
      const munged = pidOf(d('munge', 'munged.pid'));
      if (munged !== null && alive(munged)) process.kill(munged, 'SIGTERM');
      await exited(munged);
    },
  };
  try {
    const run = (cmd: string, args: string[]) => {
      const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 30_000 });
      if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status}`} ${r.stderr ?? ''}`);
    };
    run('munged', [
      '--force', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${d('munge', 'munged.pid')}`,
      `--log-file=${d('munge', 'munged.log')}`, `--seed-file=${d('munge', 'seed')}`,
    ]);
    await waitFor('munged', () => existsSync(socket), 10_000);
    run('slurmctld', ['-f', cluster.conf]);
    run('slurmd', ['-f', cluster.conf]);
    await waitFor(
      'the Slurm node',
      () => {
        const r = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8', timeout: 5_000 });
        return r.status === 0 && /^idle/m.test(r.stdout);
      },
      60_000,
      logs,
    );
    return cluster;
  } catch (e) {
    await cluster.stop();
    throw e;
  }
}

/** Wait until squeue no longer lists the job (finished, failed or forgotten). */
export async function waitForJob(cluster: SlurmCluster, jobId: string, ms: number): Promise<void> {
  await waitFor(
    `Slurm job ${jobId}`,
    () => {
      const r = spawnSync('squeue', ['-h', '-j', jobId, '-o', '%i %T'], { env: cluster.env, encoding: 'utf8', timeout: 5_000 });
      return r.status !== 0 || r.stdout.trim() === '';
    },
    ms,
    () => {
      const q = spawnSync('squeue', ['-h', '-j', jobId, '-o', '%i %T %R'], { env: cluster.env, encoding: 'utf8' });
      return `squeue: ${q.stdout}${q.stderr}\n${cluster.logs()}`;
    },
  );
}
