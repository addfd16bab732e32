import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { type CfnElement, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  ALL_CONTROL_PLANE_LOG_TYPES,
  type ClusterConfig,
  type ControlPlaneLogType,
  DEPLOY_ACCESS_POLICY,
  deployerGroup,
  deployerRoleBinding,
  type EksAddonName,
  IAM_PRINCIPAL_ARN,
  kubernetesVersionPins,
  type NodeArchitecture,
  nodeArchitecture,
  workloadNamespaceLabels,
} from '../../config';
import { EKS_CHECKS_PLUGIN, EKS_LOGGING_RULE } from '../checks/eks-checks';
import { addAlbController } from './alb-controller';
import { acknowledge, nagArn } from '../checks/nag';
import { encryptedLogGroup } from './log-groups';

export interface PlatformClusterProps {
  readonly clusterName: string;
  readonly config: ClusterConfig;
  readonly vpc: ec2.IVpc;
  readonly key: kms.IKey;
  /** Project name (prefix of the CI deployers' Kubernetes group and its RoleBinding). */
  readonly project: string;
  /** ARN of the CI deploy role, granted `admin` in `applicationNamespace` only. */
  readonly deployRoleArn: string;
  readonly applicationNamespace: string;
  /**
   * Removal policy of the control-plane log group. The cluster, its node group, roles and provider functions are
   * always deleted with the stack: retained compute with fixed names would block re-creating it.
   */
  readonly removal: RemovalPolicy;
  /**
   * Control-plane log types sent to CloudWatch Logs.
   * @default - all five
   */
  readonly controlPlaneLogTypes?: readonly ControlPlaneLogType[];
}

/** aws-eks-v2's name of each control-plane log type. */
const CLUSTER_LOG_TYPE: Readonly<Record<ControlPlaneLogType, eks.ClusterLoggingTypes>> = {
  api: eks.ClusterLoggingTypes.API,
  audit: eks.ClusterLoggingTypes.AUDIT,
  authenticator: eks.ClusterLoggingTypes.AUTHENTICATOR,
  controllerManager: eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
  scheduler: eks.ClusterLoggingTypes.SCHEDULER,
};

/** Amazon Linux 2023 AMI type of the managed node group for each node architecture. */
export const NODE_AMI_TYPE: Readonly<Record<NodeArchitecture, eks.NodegroupAmiType>> = {
  arm64: eks.NodegroupAmiType.AL2023_ARM_64_STANDARD,
  x86_64: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
};

export { ALB_CONTROLLER_CHART_VERSION, ALB_CONTROLLER_VERSION } from './alb-controller';
/**
 * Configuration of the `vpc-cni` add-on. EKS enforces Kubernetes NetworkPolicies only when the VPC CNI's network
 * policy agent runs (`enableNetworkPolicy`); without it every NetworkPolicy, default-deny included, is ignored
 * (https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html).
 */
export const VPC_CNI_CONFIGURATION = { enableNetworkPolicy: 'true' } as const;

/**
 * EKS (aws-eks-v2, native AWS::EKS::Cluster) with a managed node group (not Auto Mode: its ALB lacks
 * `auth-type: oidc`), envelope encryption of Secrets, every control-plane log type into a KMS-encrypted log group,
 * endpoint access from configuration, access entries (admin, CI deploy role scoped to the app namespace), the
 * Pod Identity agent and the AWS Load Balancer Controller's IAM role bound by Pod Identity.
 */
export class PlatformCluster extends Construct {
  readonly cluster: eks.Cluster;
  readonly nodegroup: eks.Nodegroup;
  readonly albControllerRole: iam.Role;
  /**
   * The EKS add-ons created here (vpc-cni, kube-proxy, coredns, eks-pod-identity-agent), each at the version pinned
   * for the cluster's Kubernetes minor (config/kubernetes.ts).
   */
  readonly addons: ReadonlyMap<EksAddonName, eks.CfnAddon>;

  constructor(scope: Construct, id: string, props: PlatformClusterProps) {
    super(scope, id);
    const { config } = props;
    this.cluster = this.addCluster(props);
    this.nodegroup = this.addNodes(props);
    this.addons = this.addManagedAddons(config);
    this.acknowledgeAwsManagedPolicies();
    this.addAccessEntries(props);
    const alb = addAlbController(this, {
      cluster: this.cluster,
      clusterName: props.clusterName,
      vpc: props.vpc,
      after: [this.cluster.eksPodIdentityAgent as eks.Addon, this.nodegroup],
    });
    this.albControllerRole = alb.role;
    this.addApplicationNamespace(props, alb.chart);
    this.acknowledgeKubectlProvider();
  }

  /** The control plane (and its log group, and the kubectl/Helm provider's security group). */
  private addCluster(props: PlatformClusterProps): eks.Cluster {
    const { config } = props;
    const version = kubernetesVersion(config.kubernetesVersion, this.node.path);
    if (config.endpointAccess === 'public-and-private' && (config.publicAccessCidrs.length === 0 || config.publicAccessCidrs.some((c) => c.endsWith('/0')))) {
      throw new Error(
        `PlatformCluster ${this.node.path}: publicAccessCidrs is ${JSON.stringify(config.publicAccessCidrs)}; a public endpoint needs specific CIDRs (not empty, no /0)`,
      );
    }
    const logTypes = props.controlPlaneLogTypes ?? ALL_CONTROL_PLANE_LOG_TYPES;
    // The kubectl/Helm handler runs in the private subnets: the public endpoint (if any) only admits configured CIDRs.
    const kubectlSecurityGroup = new ec2.SecurityGroup(this, 'KubectlSecurityGroup', {
      vpc: props.vpc,
      description: 'kubectl/Helm provider Lambda: reaches the private EKS endpoint',
      allowAllOutbound: true,
    });

    // EKS writes control-plane logs to this group; created first so it is KMS-encrypted and has a retention.
    const controlPlaneLogs = encryptedLogGroup(this, 'ControlPlaneLogs', props.key, {
      logGroupName: `/aws/eks/${props.clusterName}/cluster`,
      removal: props.removal,
    });

    const cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: props.clusterName,
      version,
      vpc: props.vpc,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      endpointAccess: config.endpointAccess === 'private' ? eks.EndpointAccess.PRIVATE : eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...config.publicAccessCidrs),
      secretsEncryptionKey: props.key,
      clusterLogging: logTypes.map((t) => CLUSTER_LOG_TYPE[t]),
      kubectlProviderOptions: {
        kubectlLayer: new KubectlV36Layer(this, 'KubectlLayer'),
        privateSubnets: props.vpc.privateSubnets,
        securityGroups: [kubectlSecurityGroup],
      },
    });
    cluster.node.addDependency(controlPlaneLogs);
    const notLogged = ALL_CONTROL_PLANE_LOG_TYPES.filter((t) => !logTypes.includes(t));
    if (notLogged.length > 0) {
      acknowledge(cluster.node.defaultChild as Construct, {
        [`${EKS_CHECKS_PLUGIN}::${EKS_LOGGING_RULE}`]: `Control-plane log types ${notLogged.join(', ')} are off by configuration (cluster.controlPlaneLogTypes, CloudWatch ingestion cost); audit is always on`,
      });
    }
    cluster.connections.allowFrom(kubectlSecurityGroup, ec2.Port.tcp(443), 'kubectl/Helm provider to the private endpoint');

    return cluster;
  }

  /** The managed node group, on the cluster's Kubernetes version. */
  private addNodes({ config, clusterName }: PlatformClusterProps): eks.Nodegroup {
    // The architecture the image is built for too (config/architecture.ts, `npm run image:platforms`).
    const architecture = nodeArchitecture({ name: clusterName, cluster: config });
    // No fixed name: changing the instance or AMI type replaces the node group, and a replacement (created before the
    // old one is deleted) cannot reuse the old name.
    const nodegroup = this.cluster.addNodegroupCapacity('Nodes', {
      instanceTypes: config.nodeInstanceTypes.map((t) => new ec2.InstanceType(t)),
      amiType: NODE_AMI_TYPE[architecture],
      minSize: config.minNodes,
      desiredSize: config.desiredNodes,
      maxSize: config.maxNodes,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    // The nodes' Kubernetes version from configuration: without it a node group stays on its version when the control
    // plane moves, and EKS refuses the next control-plane upgrade until node groups match. Its Ref to the cluster
    // makes CloudFormation update the control plane first.
    (nodegroup.node.defaultChild as eks.CfnNodegroup).version = config.kubernetesVersion;

    return nodegroup;
  }

  private addManagedAddons(config: ClusterConfig): Map<EksAddonName, eks.CfnAddon> {
    const pins = kubernetesVersionPins(config.kubernetesVersion);
    const nodegroup = this.nodegroup;
    // The add-ons EKS would otherwise leave self-managed (never upgraded by EKS), as managed add-ons at the versions
    // pinned for this Kubernetes minor. Each one's Ref to the cluster orders it after the control plane.
    // The pod network first, with the network policy agent on, so the charts' NetworkPolicies (default-deny first of
    // all) are enforced; nodes join once it is in place. OVERWRITE lets each add-on take over the objects EKS
    // installed self-managed with the cluster instead of failing on the conflict.
    const vpcCni = new eks.Addon(this, 'VpcCni', {
      cluster: this.cluster,
      addonName: 'vpc-cni',
      addonVersion: pins.addons['vpc-cni'],
      configurationValues: { ...VPC_CNI_CONFIGURATION },
      preserveOnDelete: false,
    });
    nodegroup.node.addDependency(vpcCni);
    // kube-proxy, CoreDNS and the Pod Identity agent after the nodes: EKS's documented order is the control plane,
    // then the nodes, then these add-ons (kube-proxy may be newer than the kubelet, never than the API server).
    const kubeProxy = new eks.Addon(this, 'KubeProxy', { cluster: this.cluster, addonName: 'kube-proxy', addonVersion: pins.addons['kube-proxy'], preserveOnDelete: false });
    const coreDns = new eks.Addon(this, 'CoreDns', { cluster: this.cluster, addonName: 'coredns', addonVersion: pins.addons.coredns, preserveOnDelete: false });
    // aws-eks-v2 creates the Pod Identity agent add-on (accessing the getter does) without a version: pinned here.
    const podIdentityAgent = this.cluster.eksPodIdentityAgent as eks.Addon;
    const addons = new Map<EksAddonName, eks.CfnAddon>([
      ['vpc-cni', vpcCni.node.defaultChild as eks.CfnAddon],
      ['kube-proxy', kubeProxy.node.defaultChild as eks.CfnAddon],
      ['coredns', coreDns.node.defaultChild as eks.CfnAddon],
      ['eks-pod-identity-agent', podIdentityAgent.node.defaultChild as eks.CfnAddon],
    ]);
    addons.get('eks-pod-identity-agent')!.addonVersion = pins.addons['eks-pod-identity-agent'];
    for (const addon of addons.values()) addon.resolveConflicts = 'OVERWRITE';
    for (const addon of [kubeProxy, coreDns, podIdentityAgent]) addon.node.addDependency(nodegroup);

    return addons;
  }

  /** cdk-nag findings on the AWS-managed policies of the EKS service role and the node role. */
  private acknowledgeAwsManagedPolicies(): void {
    acknowledge(this.cluster.role.node.defaultChild as Construct, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]':
        'The EKS service role needs AmazonEKSClusterPolicy, maintained by AWS as EKS adds features; it is assumable by eks.amazonaws.com only',
    });
    acknowledge(this.nodegroup.role.node.defaultChild as Construct, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSWorkerNodePolicy]': 'Required by EKS managed node groups to join the cluster; maintained by AWS',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKS_CNI_Policy]':
        'The VPC CNI on the nodes assigns pod IPs with it; maintained by AWS (workload permissions come from Pod Identity roles, not from the node)',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly]': 'Nodes pull images from ECR (read-only); maintained by AWS',
    });
  }

  private addAccessEntries({ config, deployRoleArn, applicationNamespace, project }: PlatformClusterProps): void {
    // Access entries: the admin principal (an existing role or user, its full ARN in configuration; none by default)
    // and the CI deploy role.
    if (config.adminPrincipalArn !== undefined) {
      this.cluster.grantClusterAdmin('AdminAccess', adminPrincipalArn(config.adminPrincipalArn, this.node.path));
    }
    // Kubernetes "admin" inside the application namespace only: besides workloads, the chart holds the Role and
    // RoleBinding that let the load balancer controller read the OIDC client Secret, which "edit" may not manage.
    // The access policy alone cannot create them: RBAC's escalation check counts only permissions held through RBAC,
    // not the access policy's (a webhook authorizer). So the entry also maps the role to the deployers group, which
    // a RoleBinding created below gives the same ClusterRole admin in the namespace (config/deploy-access.ts).
    this.cluster.grantAccess('DeployAccess', deployRoleArn, [
      eks.AccessPolicy.fromAccessPolicyName(DEPLOY_ACCESS_POLICY, {
        accessScopeType: eks.AccessScopeType.NAMESPACE,
        namespaces: [applicationNamespace],
      }),
    ]);
    const deployEntry = this.cluster.node.findChild('DeployAccess').node.defaultChild as eks.CfnAccessEntry;
    deployEntry.kubernetesGroups = [deployerGroup(project)];
  }

  private addApplicationNamespace({ config, applicationNamespace, project }: PlatformClusterProps, albChart: Construct): void {
    // The application namespace: cluster-scoped, so created here (the CI deploy role may only act inside it).
    // The same labels as the charts' WebNamespace (one builder, config/workload.ts): Pod Security "restricted"
    // and the controller's readiness gate.
    const namespaceLabels = workloadNamespaceLabels({ podSecurityVersion: `v${config.kubernetesVersion}`, albPodReadinessGate: true });
    const namespace = this.cluster.addManifest('AppNamespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: applicationNamespace, labels: namespaceLabels },
    });
    namespace.node.addDependency(albChart);
    const deployersBinding = this.cluster.addManifest('DeployersAdminBinding', deployerRoleBinding(project, applicationNamespace));
    deployersBinding.node.addDependency(namespace);
  }

  /** cdk-nag findings on aws-eks-v2's kubectl provider (its handler, provider framework and their roles). */
  private acknowledgeKubectlProvider(): void {
    const provider = this.cluster.node.findChild('KubectlProvider');
    const find = (path: string) => provider.node.findAll().find((c) => c.node.path.endsWith(`/KubectlProvider/${path}`));
    const handler = find('Handler') as lambda.Function;
    const basic = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
    const vpcAccess = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]';
    const managedByCdk = "Role of aws-eks-v2's kubectl provider Lambda (created by aws-cdk-lib, not configurable): AWS-managed logging/VPC ENI policy";
    acknowledge(handler.role!.node.defaultChild as Construct, {
      [basic]: managedByCdk,
      [vpcAccess]: managedByCdk,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly]':
        'aws-eks-v2 kubectl provider: pulls OCI Helm charts from ECR when asked to (read-only, AWS-managed)',
      [ecrPublicFinding(handler)]: 'aws-eks-v2 kubectl provider: pulls public OCI Helm charts when the region has ECR Public (read-only, AWS-managed)',
    });
    acknowledge(handler.node.defaultChild as Construct, {
      'AwsSolutions-L1': 'The kubectl provider handler runtime is chosen by aws-cdk-lib (latest Python it supports for this handler); not configurable',
    });
    const onEvent = find('Provider/framework-onEvent') as lambda.Function;
    acknowledge(onEvent.role!.node.defaultChild as Construct, { [basic]: managedByCdk, [vpcAccess]: managedByCdk });
    const onEventPolicy = find('Provider/framework-onEvent/ServiceRole/DefaultPolicy/Resource')!;
    acknowledge(onEventPolicy as Construct, {
      [`AwsSolutions-IAM5[Resource::${nagArn(handler)}:*]`]: 'The provider framework invokes any version/alias of the kubectl handler (aws-cdk-lib custom resource framework)',
    });
  }
}

/** cdk-nag's ID for the conditional AmazonElasticContainerRegistryPublicReadOnly attachment of the kubectl handler role. */
function ecrPublicFinding(handler: lambda.Function): string {
  const condition = handler.node.findAll().find((c) => c.node.id === 'HasEcrPublic');
  if (!condition) throw new Error(`kubectl provider handler ${handler.node.path} has no HasEcrPublic condition; aws-cdk-lib changed: review its cdk-nag acknowledgements`);
  const logicalId = Stack.of(handler).getLogicalId(condition as CfnElement);
  const arn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly']] };
  return `AwsSolutions-IAM4[Policy::${JSON.stringify({ 'Fn::If': [logicalId, arn, { Ref: 'AWS::NoValue' }] })}]`;
}

/** The principal ARN of the admin access entry, checked again here (config validation names the environment). */
export function adminPrincipalArn(value: string, where: string): string {
  if (!IAM_PRINCIPAL_ARN.test(value)) {
    throw new Error(
      `PlatformCluster ${where}: adminPrincipalArn is ${JSON.stringify(value)}; expected the full ARN of an IAM role or user, path included (arn:aws:iam::<account>:role/<path/><name>)`,
    );
  }
  return value;
}

/** Maps "1.35" to aws-eks-v2's KubernetesVersion, failing with the value received. */
export function kubernetesVersion(value: string, where: string): eks.KubernetesVersion {
  const key = `V${value.replace('.', '_')}` as keyof typeof eks.KubernetesVersion;
  const version = /^\d+\.\d+$/.test(value) ? (eks.KubernetesVersion as unknown as Record<string, eks.KubernetesVersion | undefined>)[key] : undefined;
  if (!version) throw new Error(`PlatformCluster ${where}: kubernetesVersion is ${JSON.stringify(value)}; aws-eks-v2 offers none by that name (e.g. "1.35")`);
  return version;
}
