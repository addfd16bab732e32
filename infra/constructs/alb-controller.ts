import { Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct, IDependable } from 'constructs';
import { ALB_CONTROLLER_SERVICE_ACCOUNT } from '../../config';
import { acknowledge } from '../checks/nag';
import { AlbControllerCrdManifests } from './alb-controller-crds';
import { ALB_CONTROLLER_POLICY_VERSION, albControllerPolicyFor, albControllerWildcardResources } from './alb-controller-policy';
import { bindPodIdentity, podIdentityRole } from './pod-identity';

/** Version of the AWS Load Balancer Controller whose IAM policy the controller's role gets. */
export const ALB_CONTROLLER_VERSION = ALB_CONTROLLER_POLICY_VERSION;
/** Version of the controller's Helm chart (https://aws.github.io/eks-charts) matching ALB_CONTROLLER_VERSION. */
export const ALB_CONTROLLER_CHART_VERSION = '3.2.2';

export interface AlbControllerProps {
  readonly cluster: eks.Cluster;
  /** The cluster's name as configured (the controller's IAM policy names it; `cluster.clusterName` is a token). */
  readonly clusterName: string;
  readonly vpc: ec2.IVpc;
  /** What the controller starts after (the Pod Identity agent, the nodes). */
  readonly after: readonly IDependable[];
}

export interface AlbController {
  /** The controller's IAM role, bound to its service account by Pod Identity. */
  readonly role: iam.Role;
  /** The Helm release: what needs the controller running (its webhooks, the namespace's readiness gate) depends on it. */
  readonly chart: eks.HelmChart;
}

/**
 * The AWS Load Balancer Controller in `scope` (the cluster's construct, whose construct IDs it keeps): its IAM role
 * and policy bound by Pod Identity, its CRDs as manifests, and the Helm release.
 */
export function addAlbController(scope: Construct, props: AlbControllerProps): AlbController {
  const stack = Stack.of(scope);
  const role = podIdentityRole(scope, 'AlbControllerRole', 'AWS Load Balancer Controller');
  const document = albControllerPolicyFor(stack, props.clusterName, props.vpc.vpcId);
  const policy = new iam.Policy(scope, 'AlbControllerPolicy', { document: iam.PolicyDocument.fromJson(document) });
  role.attachInlinePolicy(policy);
  acknowledge(
    policy,
    Object.fromEntries(
      albControllerWildcardResources(stack).map((resource) => [
        `AwsSolutions-IAM5[Resource::${resource}]`,
        `AWS Load Balancer Controller ${ALB_CONTROLLER_VERSION} policy (infra/policies/aws-load-balancer-controller): load balancers, listeners, target groups and security groups are created at run time, so their ARNs are unknown; limited to this region and account, and changes need this cluster's elbv2.k8s.aws/cluster tag (or a recorded reason)`,
      ]),
    ),
  );
  const identity = bindPodIdentity(scope, 'AlbControllerIdentity', props.cluster.clusterName, ALB_CONTROLLER_SERVICE_ACCOUNT, role);

  // The chart's CRDs as manifests, applied again whenever the chart version changes: helm upgrade never does it.
  const crds = new AlbControllerCrdManifests(scope, 'AlbControllerCrds', { cluster: props.cluster, chartVersion: ALB_CONTROLLER_CHART_VERSION });
  // The controller itself (Helm, through the kubectl provider), started once its Pod Identity and CRDs are in place.
  const chart = props.cluster.addHelmChart('AlbController', {
    chart: 'aws-load-balancer-controller',
    repository: 'https://aws.github.io/eks-charts',
    release: 'aws-load-balancer-controller',
    version: ALB_CONTROLLER_CHART_VERSION,
    // The CRDs come from AlbControllerCrds above (Helm never upgrades them).
    skipCrds: true,
    namespace: ALB_CONTROLLER_SERVICE_ACCOUNT.namespace,
    wait: true,
    timeout: Duration.minutes(15),
    values: {
      clusterName: props.cluster.clusterName,
      region: stack.region,
      vpcId: props.vpc.vpcId,
      replicaCount: 2,
      serviceAccount: { create: true, name: ALB_CONTROLLER_SERVICE_ACCOUNT.name },
    },
  });
  chart.node.addDependency(identity, ...props.after, crds);
  return { role, chart };
}
