/**
 * The local environment's pieces (`npm run local:up`) for the real-node suites that need the workloads talking to a
 * real PostgreSQL: the database on the node's bridge address (cluster/local/db.sh), the workloads' roles and Secrets
 * (scripts/local-database.ts, the AWS custom resource's statements), and a portable target rendered and applied.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { renderTarget } from '../../charts/app';
import type { PlatformConfig, PortableTargetConfig } from '../../config';
import { SAMPLE_IMAGE } from '../../config/platform';
import { runLocalDatabase } from '../../scripts/local-database';
import { kubeconfig, kubectl, root } from './helpers';

/** The real node's bridge address (cluster/node/lib.sh NODE_IP), where the local PostgreSQL listens. */
export const NODE_IP = '198.18.0.1';
export const DATABASE_PORT = 5432;

const db = (command: 'start' | 'stop') =>
  execFileSync('bash', [join(root, 'cluster', 'local', 'db.sh'), command], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** Starts the local PostgreSQL, converges the target's roles and writes their Secrets; returns the lines it reported. */
export async function startLocalDatabase(target: PortableTargetConfig): Promise<string[]> {
  const [socketDir] = db('start').trim().split('\n').pop()!.split(' ');
  return runLocalDatabase({ target, socketDir, host: NODE_IP, port: DATABASE_PORT, kubeconfig: kubeconfig() });
}

/** Stops the local PostgreSQL and removes its data. */
export function stopLocalDatabase(): void {
  db('stop');
}

/** Renders `target` of `config` with the sample image `image`, applies it (and `extra` objects) server-side and waits for its Deployments. */
export async function applyTarget(config: PlatformConfig, target: PortableTargetConfig, image: string, extra: object[] = []): Promise<any[]> {
  const { yaml } = renderTarget(config, target.name, { images: { [SAMPLE_IMAGE]: image } });
  const objects = (loadAll(yaml) as any[]).filter(Boolean);
  const applied = await kubectl(['apply', '--server-side', '-f', '-'], [...objects, ...extra].map((o) => dump(o)).join('---\n'));
  expect(applied.stderr).toBe('');
  for (const d of objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name as string)) {
    const r = await kubectl(['rollout', 'status', `deployment/${d}`, '-n', target.namespace, '--timeout=180s']);
    expect([d, r.code, r.stderr]).toEqual([d, 0, '']);
  }
  return objects;
}
