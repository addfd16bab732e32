import { Duration, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { bindPodIdentity, podIdentityRole } from './pod-identity';
import { acknowledge, nagAccount } from '../checks/nag';
import { kubernetesVersionPins } from '../../config';

/** Namespace and ServiceAccount of the CloudWatch agent and Fluent Bit (the add-on's defaults). */
export const CLOUDWATCH_AGENT_SERVICE_ACCOUNT = { namespace: 'amazon-cloudwatch', name: 'cloudwatch-agent' } as const;

/** Cluster Autoscaler Helm chart (https://kubernetes.github.io/autoscaler), pinned. */
export const CLUSTER_AUTOSCALER_CHART_VERSION = '9.59.0';
export const CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'cluster-autoscaler' } as const;

export interface ClusterOperationsProps {
  readonly cluster: eks.Cluster;
  /** The cluster's name as a plain string (IAM condition keys cannot hold tokens). */
  readonly clusterName: string;
  /** Kubernetes minor of the cluster, e.g. "1.35": picks the add-on versions and the Cluster Autoscaler image (config/kubernetes.ts). */
  readonly kubernetesVersion: string;
  /** Created first: the add-ons' and the autoscaler's pods need nodes and Pod Identity. */
  readonly dependsOn: Construct[];
}

/**
 * What makes the cluster operable: Container Insights and Fluent Bit (the amazon-cloudwatch-observability add-on,
 * its role bound by Pod Identity), metrics-server (the EKS add-on: the HorizontalPodAutoscaler needs it), and
 * Cluster Autoscaler, allowed to resize only this cluster's managed node groups.
 *
 * Cluster Autoscaler rather than Karpenter: the platform runs EKS managed node groups (Auto Mode's ALB lacks
 * `auth-type: oidc`), whose Auto Scaling groups EKS already tags for Cluster Autoscaler's auto-discovery; it needs
 * one role and one Deployment. Karpenter would replace the node groups' lifecycle with its own node role,
 * instance profile, interruption queue and NodePool/EC2NodeClass objects: worth it for bin-packing and Spot, later.
 */
export class ClusterOperations extends Construct {
  readonly observabilityRole: iam.Role;
  readonly autoscalerRole: iam.Role;
  readonly autoscalerPolicy: iam.Policy;

  constructor(scope: Construct, id: string, props: ClusterOperationsProps) {
    super(scope, id);
    const { cluster } = props;
    const pins = kubernetesVersionPins(props.kubernetesVersion);

    this.observabilityRole = podIdentityRole(
      this,
      'ObservabilityRole',
      `CloudWatch agent and Fluent Bit (${CLOUDWATCH_AGENT_SERVICE_ACCOUNT.namespace}/${CLOUDWATCH_AGENT_SERVICE_ACCOUNT.name})`,
    );
    this.observabilityRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchAgentServerPolicy'));
    acknowledge(this.observabilityRole, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/CloudWatchAgentServerPolicy]':
        "The policy AWS documents for the amazon-cloudwatch-observability add-on, maintained by AWS as the agent gains features; assumable only through Pod Identity by the add-on's ServiceAccount",
    });
    const observability = new eks.CfnAddon(this, 'CloudWatchObservability', {
      clusterName: cluster.clusterName,
      addonName: 'amazon-cloudwatch-observability',
      addonVersion: pins.addons['amazon-cloudwatch-observability'],
      resolveConflicts: 'OVERWRITE',
      podIdentityAssociations: [{ serviceAccount: CLOUDWATCH_AGENT_SERVICE_ACCOUNT.name, roleArn: this.observabilityRole.roleArn }],
    });
    const metricsServer = new eks.CfnAddon(this, 'MetricsServer', {
      clusterName: cluster.clusterName,
      addonName: 'metrics-server',
      addonVersion: pins.addons['metrics-server'],
      resolveConflicts: 'OVERWRITE',
    });
    for (const addon of [observability, metricsServer]) addon.node.addDependency(...props.dependsOn);

    const autoscaler = this.addClusterAutoscaler(props, pins.clusterAutoscalerImage);
    this.autoscalerRole = autoscaler.role;
    this.autoscalerPolicy = autoscaler.policy;
  }

  /** Cluster Autoscaler (Helm), with its role bound by Pod Identity: it scales the managed node groups. */
  private addClusterAutoscaler(props: ClusterOperationsProps, image: string): { role: iam.Role; policy: iam.Policy } {
    const { cluster } = props;
    const stack = Stack.of(this);
    const role = podIdentityRole(this, 'AutoscalerRole', `Cluster Autoscaler of ${props.clusterName}`);
    const policy = new iam.Policy(this, 'AutoscalerPolicy', { statements: clusterAutoscalerStatements(stack, props.clusterName) });
    role.attachInlinePolicy(policy);
    acknowledge(policy, {
      'AwsSolutions-IAM5[Resource::*]':
        "Describe* calls of Auto Scaling and EC2 support no resource-level permissions; the mutating calls are limited to this cluster's tagged node groups",
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:${stack.region}:${nagAccount(stack)}:autoScalingGroup:*:autoScalingGroupName/eks-*]`]:
        'EKS names managed node group Auto Scaling groups eks-<nodegroup>-<uuid> at run time; the aws:ResourceTag condition narrows them to this cluster',
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:eks:${stack.region}:${nagAccount(stack)}:nodegroup/${props.clusterName}/*/*]`]:
        'Node groups of this cluster only (their names and IDs are generated)',
    });
    const autoscalerIdentity = bindPodIdentity(this, 'AutoscalerIdentity', cluster.clusterName, CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, role);
    const chart = cluster.addHelmChart('ClusterAutoscaler', {
      chart: 'cluster-autoscaler',
      repository: 'https://kubernetes.github.io/autoscaler',
      release: 'cluster-autoscaler',
      version: CLUSTER_AUTOSCALER_CHART_VERSION,
      namespace: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.namespace,
      wait: true,
      timeout: Duration.minutes(10),
      values: {
        cloudProvider: 'aws',
        awsRegion: stack.region,
        autoDiscovery: { clusterName: cluster.clusterName },
        image: { tag: image },
        rbac: { serviceAccount: { create: true, name: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.name } },
        extraArgs: { 'balance-similar-node-groups': true, expander: 'least-waste', 'skip-nodes-with-system-pods': false },
      },
    });
    chart.node.addDependency(autoscalerIdentity, ...props.dependsOn);
    return { role, policy };
  }
}

/**
 * Cluster Autoscaler's permissions (upstream's recommended policy), narrowed: resizing and terminating only in
 * Auto Scaling groups tagged as owned by this cluster (EKS tags managed node groups' groups so), and describing
 * only this cluster's node groups; the read-only Describe* calls have no resource-level permissions.
 */
export function clusterAutoscalerStatements(stack: Stack, clusterName: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ResizeOwnNodeGroups',
      actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
      resources: [`arn:${stack.partition}:autoscaling:${stack.region}:${stack.account}:autoScalingGroup:*:autoScalingGroupName/eks-*`],
      conditions: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: 'owned' } },
    }),
    new iam.PolicyStatement({
      sid: 'DescribeOwnNodeGroups',
      actions: ['eks:DescribeNodegroup'],
      resources: [`arn:${stack.partition}:eks:${stack.region}:${stack.account}:nodegroup/${clusterName}/*/*`],
    }),
    new iam.PolicyStatement({
      sid: 'Discover',
      actions: [
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeAutoScalingInstances',
        'autoscaling:DescribeLaunchConfigurations',
        'autoscaling:DescribeScalingActivities',
        'autoscaling:DescribeTags',
        'ec2:DescribeImages',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:GetInstanceTypesFromInstanceRequirements',
      ],
      resources: ['*'],
    }),
  ];
}
