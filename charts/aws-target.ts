import type { EnvironmentConfig, PlatformConfig, ServiceWorkload, Workload, WorkloadOutputs } from '../config';
import {
  APP_ENV,
  DATABASE_PORT,
  databaseRoleName,
  ingressGroupName,
  loadBalancerName,
  loadBalancerTag,
  OIDC_CLIENT_SECRET_NAME,
  outputMismatches,
  storagePrefix,
  userPoolInAnotherAccount,
  workloadProbes,
  WORKLOAD_DATABASE_NAME,
} from '../config';
import type { Construct } from 'constructs';
import { ChartInputError } from './errors';
import { AlbIngress, albAuthType, albReadinessGateSeconds, OidcSecretReader } from './ingress-aws';
import { declaredEgress, type TargetProfile } from './target';
import type { WebService } from './web-service';

/** EKS Pod Identity agent (link-local, on every node): the SDK's container credential provider calls it. */
export const POD_IDENTITY_AGENT = { cidr: '169.254.170.23/32', port: 80 };
/** AWS APIs (S3, STS) through NAT or VPC endpoints; never the instance metadata service. */
export const AWS_APIS = { cidr: '0.0.0.0/0', port: 443, except: ['169.254.0.0/16'] };

export interface AwsTargetProps {
  readonly config: PlatformConfig;
  readonly environment: EnvironmentConfig;
  /** The environment stack's outputs: real (from `cdk deploy --outputs-file`) or `placeholderOutputs(...)`. */
  readonly outputs: WorkloadOutputs;
}

/**
 * One AWS environment: what only EKS understands — the shared ALB (an IngressGroup, one rule per public service)
 * with Cognito sign-in, the ALB pod readiness gate on the namespace, network rules for the VPC, AWS APIs and the
 * Pod Identity agent, and each workload's own database user (IAM authentication) and bucket prefix.
 */
export function awsTarget(props: AwsTargetProps): TargetProfile {
  const { config, environment: env, outputs } = props;
  const [mismatch] = outputMismatches(outputs, { environment: env.name, region: env.region, namespace: env.namespace, userPoolRegion: config.identity.region });
  if (mismatch) {
    throw new ChartInputError(
      `outputs.${mismatch.field} is ${JSON.stringify(mismatch.actual)} but environment "${env.name}" expects ${JSON.stringify(mismatch.expected)}; are these the outputs of another environment's stack?`,
    );
  }
  const albName = loadBalancerName(config.project, env.name);
  const inAnotherAccount = userPoolInAnotherAccount(config, env);
  const oidc = albAuthType(env.region, outputs.userPoolRegion, inAnotherAccount) === 'oidc';
  // HTTPS to AWS APIs for a workload with a bucket prefix; the Pod Identity agent's credentials for it and for one
  // that signs database logins (IAM authentication signs locally: no API call).
  const egressOf = (w: Workload) => [...(w.storage ? [AWS_APIS] : []), ...(w.storage || w.database ? [POD_IDENTITY_AGENT] : []), ...declaredEgress(w)];

  return {
    name: env.name,
    namespace: env.namespace,
    production: env.production,
    workloads: env.workloads,
    partOf: config.project,
    podSecurityVersion: `v${env.cluster.kubernetesVersion}`,
    albPodReadinessGate: true,
    readinessGateSeconds: albReadinessGateSeconds(),
    // The API server's pod proxy connects from the control plane's ENIs, which EKS places in the cluster's subnets:
    // inside the VPC. No narrower range is known before the cluster exists.
    metricsScrapeCidrs: [env.vpcCidr],
    database: { cidr: env.vpcCidr, port: DATABASE_PORT },
    // target-type ip: the ALB connects to pod IPs from its own ENIs inside the VPC.
    publicIngressFrom: { cidrs: [env.vpcCidr] },
    environmentOf: (workload) => ({ settings: awsSettings(props, workload, albName), secretEnv: secretRefs(workload) }),
    egressOf,
    addNamespaceObjects: (scope) => {
      if (oidc) new OidcSecretReader(scope, 'OidcSecretReader', { namespace: env.namespace, secretName: OIDC_CLIENT_SECRET_NAME });
    },
    exposePublic: (scope, service, declaration) => addAlbRule(scope, service, declaration, { props, albName, inAnotherAccount }),
  };
}

/** A workload's settings on AWS: its environment and region, its bucket prefix and database login, its signed-in user. */
function awsSettings({ environment: env, outputs }: AwsTargetProps, workload: Workload, albName: string): Record<string, string> {
  const partition = partitionOf(outputs.region);
  return {
    ...workload.env,
    [APP_ENV.environment]: env.name,
    [APP_ENV.region]: outputs.region,
    ...(workload.storage ? { [APP_ENV.bucketName]: outputs.bucketName, [APP_ENV.bucketPrefix]: storagePrefix(workload)! } : {}),
    ...(workload.database
      ? {
          [APP_ENV.databaseHost]: outputs.databaseEndpoint,
          [APP_ENV.databasePort]: outputs.databasePort,
          [APP_ENV.databaseName]: WORKLOAD_DATABASE_NAME,
          // Its own role, by IAM authentication: the pod role may sign a login for this one user; no password exists.
          [APP_ENV.databaseAuth]: 'iam',
          [APP_ENV.databaseUsername]: databaseRoleName(workload.name),
        }
      : {}),
    ...identitySettings(workload, `arn:${partition}:elasticloadbalancing:${outputs.region}:${outputs.account}:loadbalancer/app/${albName}/*`),
  };
}

/** A public service's rule on the environment's shared ALB (an IngressGroup), with the Cognito sign-in. */
function addAlbRule(
  scope: Construct,
  service: WebService,
  declaration: ServiceWorkload,
  { props, albName, inAnotherAccount }: { props: AwsTargetProps; albName: string; inAnotherAccount: boolean },
): void {
  const { config, environment: env, outputs } = props;
  const exposure: { host?: string; path?: string } = declaration.exposure.kind === 'public' ? declaration.exposure : {};
  new AlbIngress(scope, 'Ingress', {
    workload: service,
    namespace: env.namespace,
    hostname: exposure.host,
    path: exposure.path,
    healthCheckPath: workloadProbes(declaration).readiness,
    groupName: ingressGroupName(config.project, env.name),
    oidcSecretReader: false,
    region: env.region,
    loadBalancerName: albName,
    certificateArn: outputs.certificateArn,
    userPoolArn: outputs.userPoolArn,
    userPoolId: outputs.userPoolId,
    userPoolRegion: outputs.userPoolRegion,
    userPoolInAnotherAccount: inAnotherAccount,
    userPoolDomain: outputs.userPoolDomain,
    userPoolClientId: outputs.userPoolClientId,
    // The infra's alarms and dashboard find this environment's ALB and target groups by this tag.
    tags: [loadBalancerTag(config.project, env.name)],
  });
}

/** Where a workload's signed-in user comes from: the ALB's signed header for a public service, nowhere otherwise. */
function identitySettings(workload: Workload, albSigner: string): Record<string, string> {
  const isPublic = workload.kind === 'service' && (workload as ServiceWorkload).exposure.kind === 'public';
  // The load balancer's name is fixed, its ID is assigned by AWS: any ID under that name.
  return isPublic ? { [APP_ENV.identitySource]: 'alb', [APP_ENV.albSigner]: albSigner } : { [APP_ENV.identitySource]: 'none' };
}

/** The declaration's secret references (never values). */
export function secretRefs(workload: Workload): Record<string, { secretName: string; key: string }> {
  return Object.fromEntries(Object.entries(workload.secretEnv ?? {}).map(([name, ref]) => [name, { secretName: ref.secretName, key: ref.key }]));
}

/** The ARN partition of a region. */
export function partitionOf(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}
