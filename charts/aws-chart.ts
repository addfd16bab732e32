import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import type { EnvironmentConfig, PlatformConfig, WorkloadOutputs } from '../config';
import {
  APP_ENV,
  DATABASE_PORT,
  loadBalancerName,
  loadBalancerTag,
  METRICS_PORT,
  outputMismatches,
  userPoolInAnotherAccount,
  WORKLOAD_DATABASE_NAME,
  WORKLOAD_DATABASE_USER,
} from '../config';
import { ChartInputError } from './errors';
import { AlbIngress, albReadinessGateSeconds } from './ingress-aws';
import { WebNamespace } from './namespace';
import { WebNetworkPolicy } from './network-policy';
import { CONTAINER_PORT, WebService } from './web-service';

/** EKS Pod Identity agent (link-local, on every node): the SDK's container credential provider calls it. */
export const POD_IDENTITY_AGENT = { cidr: '169.254.170.23/32', port: 80 };

export interface AwsWebChartProps {
  readonly config: PlatformConfig;
  readonly environment: EnvironmentConfig;
  /** The environment stack's outputs: real (from `cdk deploy --outputs-file`) or `placeholderOutputs(...)`. */
  readonly outputs: WorkloadOutputs;
  /** Container image (see `WebServiceProps.image`). */
  readonly image: string;
}

/**
 * One AWS environment: the portable workload plus what only EKS understands — the ALB Ingress with Cognito sign-in,
 * the ALB pod readiness gate on the namespace, network rules for the VPC, AWS APIs and the Pod Identity agent.
 */
export class AwsWebChart extends Chart {
  readonly workload: WebService;
  readonly ingress: AlbIngress;

  constructor(scope: Construct, id: string, props: AwsWebChartProps) {
    const { config, environment: env, outputs } = props;
    super(scope, id, { labels: { 'app.kubernetes.io/part-of': config.project, 'app.kubernetes.io/managed-by': 'cdk8s' } });
    const namespace = env.workload.namespace;
    const [mismatch] = outputMismatches(outputs, { environment: env.name, region: env.region, namespace, userPoolRegion: config.identity.region });
    if (mismatch) {
      throw new ChartInputError(
        `outputs.${mismatch.field} is ${JSON.stringify(mismatch.actual)} but environment "${env.name}" expects ${JSON.stringify(mismatch.expected)}; are these the outputs of another environment's stack?`,
      );
    }

    const albName = loadBalancerName(config.project, env.name);
    new WebNamespace(this, 'Namespace', {
      name: namespace,
      podSecurityVersion: `v${env.cluster.kubernetesVersion}`,
      albPodReadinessGate: true,
    });

    this.workload = new WebService(this, 'Web', {
      namespace,
      image: props.image,
      partOf: config.project,
      production: env.production,
      minReplicas: env.workload.minReplicas,
      maxReplicas: env.workload.maxReplicas,
      cpuMillis: env.workload.cpuMillis,
      memoryMiB: env.workload.memoryMiB,
      // The namespace carries the ALB pod readiness gate: the progress deadline is sized for it.
      readinessGateSeconds: albReadinessGateSeconds(),
      settings: {
        [APP_ENV.environment]: env.name,
        [APP_ENV.region]: outputs.region,
        [APP_ENV.bucketName]: outputs.bucketName,
        [APP_ENV.databaseHost]: outputs.databaseEndpoint,
        [APP_ENV.databasePort]: outputs.databasePort,
        [APP_ENV.databaseName]: WORKLOAD_DATABASE_NAME,
        // Its own role, by IAM authentication: the pod role may sign a login for this one user; no password exists.
        [APP_ENV.databaseAuth]: 'iam',
        [APP_ENV.databaseUsername]: WORKLOAD_DATABASE_USER,
        // The user, from the ALB's signed header only: the load balancer's name is fixed, its ID is assigned by AWS.
        [APP_ENV.identitySource]: 'alb',
        [APP_ENV.albSigner]: `arn:${partitionOf(outputs.region)}:elasticloadbalancing:${outputs.region}:${outputs.account}:loadbalancer/app/${albName}/*`,
      },
    });

    new WebNetworkPolicy(this, 'NetworkPolicy', {
      namespace,
      podLabels: this.workload.selectorLabels,
      port: CONTAINER_PORT,
      // target-type ip: the ALB connects to pod IPs from its own ENIs inside the VPC.
      ingressFromCidrs: [env.vpcCidr],
      // The API server's pod proxy (canary analysis) connects from the control plane's ENIs, which EKS places in
      // the cluster's subnets: inside the VPC. No narrower range is known before the cluster exists.
      metrics: { port: METRICS_PORT, fromCidrs: [env.vpcCidr] },
      database: { cidr: env.vpcCidr, port: DATABASE_PORT },
      egress: [
        // AWS APIs (S3, Secrets Manager, STS) through NAT or VPC endpoints; never the instance metadata service.
        { cidr: '0.0.0.0/0', port: 443, except: ['169.254.0.0/16'] },
        POD_IDENTITY_AGENT,
      ],
    });

    this.ingress = new AlbIngress(this, 'Ingress', {
      workload: this.workload,
      namespace,
      hostname: env.workload.hostname,
      region: env.region,
      loadBalancerName: albName,
      certificateArn: outputs.certificateArn,
      userPoolArn: outputs.userPoolArn,
      userPoolId: outputs.userPoolId,
      userPoolRegion: outputs.userPoolRegion,
      userPoolInAnotherAccount: userPoolInAnotherAccount(config, env),
      userPoolDomain: outputs.userPoolDomain,
      userPoolClientId: outputs.userPoolClientId,
      // The infra's alarms and dashboard find this environment's ALB and target groups by this tag.
      tags: [loadBalancerTag(config.project, env.name)],
    });
  }
}

/** The ARN partition of a region. */
export function partitionOf(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}
