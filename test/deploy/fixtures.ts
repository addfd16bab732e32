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

/** A minimal release of the workload as the chart would render it. */
export function releaseObjects(image: string, extra: { annotations?: Record<string, string>; ingressAnnotations?: Record<string, string> } = {}): object[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
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

export const fakeRender: RenderFn = (_config, _target, { images }) => ({
  yaml: releaseObjects(images.app)
    .map((o) => dump(o))
    .join('---\n'),
});

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
