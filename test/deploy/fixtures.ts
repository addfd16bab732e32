import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { environmentStackName, platformConfig, WORKLOAD_OUTPUT_FIELDS, type WorkloadOutputs } from '../../config';
import type { DeployOptions } from '../../deploy/args';
import { DeployError } from '../../deploy/errors';
import type { RenderFn } from '../../deploy/phases/prepare';

export const config = platformConfig;

/** Complete, fake outputs of an environment as `cdk deploy --outputs-file` writes them. */
export function fakeOutputs(envName: string, overrides: Partial<Record<keyof WorkloadOutputs, string>> = {}): WorkloadOutputs {
  const env = config.environments.find((e) => e.name === envName)!;
  const values = Object.fromEntries(WORKLOAD_OUTPUT_FIELDS.map((f) => [f, `fake-${f}`])) as Record<keyof WorkloadOutputs, string>;
  return {
    ...values,
    environment: env.name,
    region: env.region,
    namespace: env.namespace,
    clusterName: `platform-${env.name}`,
    userPoolRegion: config.identity.region,
    userPoolClientSecretArn: `arn:aws:secretsmanager:${env.region}:123456789012:secret:platform/${env.name}/oidc-AbCdEf`,
    ...overrides,
  };
}

export function writeOutputsFile(envName: string, outputs: Partial<WorkloadOutputs>, stack = environmentStackName(config.project, envName)): string {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-test-'));
  const file = join(dir, 'cdk-outputs.json');
  writeFileSync(file, JSON.stringify({ [stack]: outputs }));
  return file;
}

/** The namespace-level objects as the chart renders them (namespace.k8s.yaml). */
export const namespaceObjects = (): object[] => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'web' }, spec: { podSelector: {} } },
];

const podSpec = (name: string, image: string) => ({ metadata: { labels: { 'app.kubernetes.io/name': name } }, spec: { containers: [{ name, image }] } });

/** The worker's objects (worker.k8s.yaml): a Deployment. */
export const workerObjects = (image: string): object[] => [
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'worker', namespace: 'web' }, data: { QUEUE: 'jobs' } },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'worker', namespace: 'web', labels: { 'app.kubernetes.io/name': 'worker' } },
    spec: { replicas: 2, selector: { matchLabels: { 'app.kubernetes.io/name': 'worker' } }, template: podSpec('worker', image) },
  },
];

/** The CronJob's objects (prune.k8s.yaml). */
export const pruneObjects = (image: string): object[] => [
  {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'prune', namespace: 'web' },
    spec: {
      schedule: '15 3 * * *',
      jobTemplate: { spec: { template: { ...podSpec('prune', image), spec: { serviceAccountName: 'prune', restartPolicy: 'Never', containers: [{ name: 'prune', image }] } } } },
    },
  },
];

/** A minimal release of web as the chart would render it (the Namespace first, then web.k8s.yaml's objects). */
export function releaseObjects(image: string, extra: { annotations?: Record<string, string>; ingressAnnotations?: Record<string, string> } = {}): object[] {
  return [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } }, ...webObjects(image, extra)];
}

/** web.k8s.yaml's objects. */
export function webObjects(image: string, extra: { annotations?: Record<string, string>; ingressAnnotations?: Record<string, string> } = {}): object[] {
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: 'web', annotations: extra.annotations }, data: { LOG_LEVEL: 'info' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'web', labels: { 'app.kubernetes.io/name': 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
        template: { metadata: { labels: { 'app.kubernetes.io/name': 'web' } }, spec: { containers: [{ name: 'web', image }] } },
      },
    },
    ...(extra.ingressAnnotations
      ? [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'web', annotations: extra.ingressAnnotations }, spec: {} }]
      : []),
  ];
}

/** The sample's files as charts/app.ts renderTarget splits them (the namespace's, then web, worker and prune: all run image "app"). */
export const fakeRender: RenderFn = (_config, _target, { images }) => {
  const files = [
    { file: 'namespace.k8s.yaml', objects: namespaceObjects() },
    { file: 'web.k8s.yaml', workload: 'web', objects: webObjects(images.app) },
    { file: 'worker.k8s.yaml', workload: 'worker', objects: workerObjects(images.app) },
    { file: 'prune.k8s.yaml', workload: 'prune', objects: pruneObjects(images.app) },
  ];
  return { yaml: toYamlText(files.flatMap((f) => f.objects)), files };
};

/** A renderer whose web file holds `web` instead (e.g. with an Ingress); the other files as `fakeRender`. */
export const renderWebAs =
  (web: (image: string) => object[]): RenderFn =>
  (config, target, options) => {
    const rendered = fakeRender(config, target, options);
    const files = rendered.files!.map((f) => (f.workload === 'web' ? { ...f, objects: web(options.images.app) } : f));
    return { yaml: toYamlText(files.flatMap((f) => f.objects)), files };
  };

export const toYamlText = (objects: readonly object[]) => objects.map((o) => dump(o)).join('---\n');

export function writeManifestDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-manifests-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export function options(overrides: Partial<DeployOptions>): DeployOptions {
  return { env: 'generic', mode: 'apply', timeoutSeconds: 600, ...overrides };
}

/** The DeployError a promise rejects with (fails the test when it resolves or rejects with anything else). */
export async function deployRefusal(p: Promise<unknown>): Promise<DeployError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DeployError);
    return e as DeployError;
  }
  throw new Error('expected a refusal');
}
