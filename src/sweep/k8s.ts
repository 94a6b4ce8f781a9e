import { UserError } from '../errors.js';
import { reportMessages } from '../messages/report.js';
import type { ClusterResources } from './slurm.js';

export interface K8sJobOptions {
  /** Job name (a DNS label: lower case, digits, -; at most 63 characters after cleaning). */
  name: string;
  /** Number of points: one completion index per point. */
  completions: number;
  /** Pods at a time (default: all). */
  parallelism?: number;
  image: string;
  /** The CLI inside the container, e.g. ["xbm-drift"] or ["node", "/app/bin/xbm-drift.js"]. */
  command: readonly string[];
  /** Where the sweep folder is inside the container. */
  mountPath: string;
  /** PersistentVolumeClaim holding the sweep folder; without it the folder must be in the image or mounted otherwise. */
  claimName?: string;
  resources: ClusterResources;
}

/** A DNS-1123 label from any text. */
export function dnsLabel(text: string): string {
  const s = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return s || 'xbm-sweep';
}

/** Slurm memory (4000, 8G, 512M; M when no unit) as a Kubernetes quantity (binary units). */
export function k8sMemory(mem: string): string {
  const m = /^(\d+)([KMGT])?$/i.exec(mem);
  if (!m) throw new UserError(reportMessages.badResource('mem', mem, 'give a size like 4000, 8G or 512M'));
  return `${m[1]}${(m[2] ?? 'M').toUpperCase()}i`;
}

type YamlValue = string | number | boolean | Manifest | YamlValue[];
export type Manifest = { [key: string]: YamlValue };

/**
 * A Kubernetes Indexed Job (batch/v1): `completions` pods, each running
 * `<command> sweep --point env <mountPath>` with JOB_COMPLETION_INDEX set by Kubernetes.
 */
export function k8sJob(o: K8sJobOptions): Manifest {
  const r = o.resources;
  const limits: Manifest = {};
  if (r.cpusPerTask) limits.cpu = String(r.cpusPerTask);
  if (r.mem) limits.memory = k8sMemory(r.mem);
  if (r.gpusPerTask) limits['nvidia.com/gpu'] = String(r.gpusPerTask);
  const container: Manifest = {
    name: 'point',
    image: o.image,
    command: [...o.command, 'sweep', '--point', 'env', o.mountPath],
    volumeMounts: [{ name: 'sweep', mountPath: o.mountPath }],
  };
  if (Object.keys(limits).length > 0) container.resources = { requests: limits, limits };
  const pod: Manifest = { restartPolicy: 'Never', containers: [container] };
  if (o.claimName) pod.volumes = [{ name: 'sweep', persistentVolumeClaim: { claimName: o.claimName } }];
  else pod.volumes = [{ name: 'sweep', hostPath: { path: o.mountPath, type: 'Directory' } }];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: dnsLabel(o.name), labels: { app: 'xbm-drift-sweep' } },
    spec: {
      completionMode: 'Indexed',
      completions: o.completions,
      parallelism: Math.min(o.parallelism ?? o.completions, o.completions),
      // One retry per point on average; a point that keeps failing shows in `sweep --collect`.
      backoffLimit: o.completions,
      template: { metadata: { labels: { app: 'xbm-drift-sweep' } }, spec: pod },
    },
  };
}

/** A scalar in YAML: strings double-quoted JSON-style (valid YAML), numbers and booleans bare. */
function scalar(v: string | number | boolean): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Block-style YAML of a manifest (mappings, sequences, scalars; no anchors, no multi-line strings). */
export function toYaml(value: Manifest | YamlValue[], indent = ''): string {
  const lines: string[] = [];
  const emit = (v: YamlValue, prefix: string, ind: string) => {
    if (typeof v !== 'object') {
      lines.push(`${prefix} ${scalar(v)}`);
    } else if (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0) {
      lines.push(`${prefix} ${Array.isArray(v) ? '[]' : '{}'}`);
    } else {
      lines.push(prefix);
      lines.push(toYaml(v, ind).replace(/\n$/, ''));
    }
  };
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length > 0) {
        // "- key: value" then the other keys aligned under the first
        const body = toYaml(item, `${indent}  `).replace(/\n$/, '').split('\n');
        body[0] = `${indent}- ${body[0].slice(indent.length + 2)}`;
        lines.push(...body);
      } else if (typeof item === 'object') emit(item, `${indent}-`, `${indent}  `);
      else lines.push(`${indent}- ${scalar(item)}`);
    }
  } else {
    for (const [k, v] of Object.entries(value)) emit(v, `${indent}${/^[A-Za-z0-9_./-]+$/.test(k) ? k : JSON.stringify(k)}:`, `${indent}  `);
  }
  return `${lines.join('\n')}\n`;
}
