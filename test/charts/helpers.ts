import { platformConfig, type PlatformConfig, type Workload, type WorkloadOutputs } from '../../config';

export const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform/web:3f2c1a9';
export const DIGEST_IMAGE = `ghcr.io/example-org/web@sha256:${'a'.repeat(64)}`;

/** Rendered objects are untyped JSON here (tests reach into any field). */
export type Obj = any;

/** The object of a kind and name; a ConfigMap by the workload it configures (its name carries a hash of its content). */
export function find(objects: readonly object[], kind: string, name = 'web'): Obj {
  const named = (o: Obj) => (kind === 'ConfigMap' ? o.metadata?.labels?.['platform.local/config-of'] === name : o.metadata?.name === name);
  const found = (objects as Obj[]).filter((o) => o.kind === kind && named(o));
  if (found.length !== 1) throw new Error(`expected one ${kind} "${name}", found ${found.length}`);
  return found[0];
}

export function podSpec(objects: readonly object[]): Obj {
  return find(objects, 'Deployment').spec.template.spec;
}

export function container(objects: readonly object[]): Obj {
  return podSpec(objects).containers[0];
}

/** Realistic (fake, non-secret) outputs of an environment stack, as `readWorkloadOutputs` returns them. */
export function realOutputs(config: PlatformConfig, environment: string): WorkloadOutputs {
  const env = config.environments.find((e) => e.name === environment)!;
  const poolRegion = config.identity.region;
  return {
    environment,
    clusterName: `platform-${environment}`,
    region: env.region,
    namespace: env.namespace,
    certificateArn: `arn:aws:acm:${env.region}:123456789012:certificate/0b1e2c3d-4e5f-6789-abcd-ef0123456789`,
    userPoolArn: `arn:aws:cognito-idp:${poolRegion}:123456789012:userpool/${poolRegion}_AbCdEfGhI`,
    userPoolId: `${poolRegion}_AbCdEfGhI`,
    userPoolRegion: poolRegion,
    userPoolDomain: config.identity.domainPrefix,
    userPoolClientId: '4example5client6id7abcdefg',
    userPoolClientSecretArn: `arn:aws:secretsmanager:${poolRegion}:123456789012:secret:platform-${environment}-alb-client-AbCdEf`,
    podRoleArn: `arn:aws:iam::123456789012:role/platform-${environment}-web`,
    bucketName: `platform-${environment}-data-123456789012`,
    databaseEndpoint: `platform-${environment}.abcdefghijkl.${env.region}.rds.amazonaws.com`,
    databasePort: '5432',
    account: '123456789012',
    imageRepositoryUri: `123456789012.dkr.ecr.${env.region}.amazonaws.com/platform/web`,
    apiUrl: `https://abcdef1234.execute-api.${env.region}.amazonaws.com/`,
    apiClientId: '7public8client9id0abcdefg',
  };
}

export { platformConfig };

/** The configuration with one workload of every environment and portable target changed (e.g. web's sizing). */
export function withWorkload(config: PlatformConfig, name: string, change: (w: Workload) => Workload, targets?: readonly string[]): PlatformConfig {
  const apply = <T extends { name: string; workloads: readonly Workload[] }>(t: T): T =>
    targets && !targets.includes(t.name) ? t : { ...t, workloads: t.workloads.map((w) => (w.name === name ? change(w) : w)) };
  return { ...config, environments: config.environments.map(apply), portableTargets: config.portableTargets.map(apply) };
}

/** The configuration with workloads added to every environment and portable target. */
export function withExtraWorkloads(config: PlatformConfig, ...extra: Workload[]): PlatformConfig {
  const add = <T extends { workloads: readonly Workload[] }>(t: T): T => ({ ...t, workloads: [...t.workloads, ...extra] });
  return { ...config, environments: config.environments.map(add), portableTargets: config.portableTargets.map(add) };
}
