import { platformConfig } from '../platform';
import type { PlatformConfig } from '../types';
import type { ServiceWorkload, WorkerWorkload, Workload } from '../workloads';

/**
 * A benchmark configuration (`npm run bench:synth -- --scale`): the shipped platform with seven more workloads in
 * every environment and portable target, ten in all (internal services called by web, each with a schema and a
 * bucket prefix of its own, and workers reading their schemas), to show that synth time grows little per workload.
 * Synthesized by the benchmark only, never deployed.
 */
export const TEN_WORKLOADS = 10;

function extraWorkloads(): Workload[] {
  const services: ServiceWorkload[] = Array.from({ length: 4 }, (_, i) => ({
    kind: 'service',
    name: `api${i + 1}`,
    image: 'app',
    exposure: { kind: 'internal' },
    minReplicas: 2,
    maxReplicas: 4,
    cpuMillis: 100,
    memoryMiB: 128,
    allowFrom: ['web'],
    database: { ownSchema: true },
    storage: { access: 'read' },
  }));
  const workers: WorkerWorkload[] = Array.from({ length: 3 }, (_, i) => ({
    kind: 'worker',
    name: `consumer${i + 1}`,
    image: 'app',
    args: ['/app/server.js', 'worker'],
    replicas: 2,
    cpuMillis: 50,
    memoryMiB: 128,
    database: { schemas: [{ workload: `api${i + 1}`, access: 'readWrite' }] },
  }));
  return [...services, ...workers];
}

const withTen = <T extends { readonly workloads: readonly Workload[] }>(target: T): T => ({ ...target, workloads: [...target.workloads, ...extraWorkloads()] });

export const tenWorkloadsConfig: PlatformConfig = {
  ...platformConfig,
  environments: platformConfig.environments.map(withTen),
  portableTargets: platformConfig.portableTargets.map(withTen),
};
