import type { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { VPC_AZS } from '../../config';
import { encryptedLogGroup } from './log-groups';

export interface NetworkProps {
  readonly cidr: string;
  readonly natGateways: number;
  readonly key: kms.IKey;
  readonly removal: RemovalPolicy;
  /** Name of the EKS cluster, for the subnet tags the AWS Load Balancer Controller discovers. */
  readonly clusterName: string;
  /**
   * Interface endpoints for ECR (API and registry), Secrets Manager and STS in the private subnets.
   * @default false
   */
  readonly interfaceEndpoints?: boolean;
  /**
   * Traffic the flow logs record.
   * @default ec2.FlowLogTrafficType.ALL
   */
  readonly flowLogTraffic?: ec2.FlowLogTrafficType;
}

/** Services reached through interface endpoints when they are on: image pulls, secret reads, credentials. */
export const INTERFACE_ENDPOINT_SERVICES: readonly ec2.InterfaceVpcEndpointAwsService[] = [
  ec2.InterfaceVpcEndpointAwsService.ECR,
  ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  ec2.InterfaceVpcEndpointAwsService.STS,
];

/** Availability zones of the VPC: `VPC_AZS` from the configuration rules (an account-agnostic stack's `Fn::GetAZs` yields two). */
export const NETWORK_AZS = VPC_AZS;

/**
 * The environment's VPC: public, private (NAT egress: nodes, Lambda rotation) and isolated (database) subnets
 * in two AZs, flow logs into a KMS-encrypted log group, the S3 gateway endpoint (free: image layers from ECR and the
 * application bucket bypass NAT) and, when configured, interface endpoints for ECR, Secrets Manager and STS.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    if (!Number.isInteger(props.natGateways) || props.natGateways < 1 || props.natGateways > NETWORK_AZS) {
      throw new Error(`Network ${this.node.path}: natGateways is ${JSON.stringify(props.natGateways)}; expected 1 to ${NETWORK_AZS} (one per availability zone at most)`);
    }
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      maxAzs: NETWORK_AZS,
      natGateways: props.natGateways,
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 19 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    for (const subnet of this.vpc.publicSubnets) tagSubnet(subnet, 'kubernetes.io/role/elb', props.clusterName);
    for (const subnet of this.vpc.privateSubnets) tagSubnet(subnet, 'kubernetes.io/role/internal-elb', props.clusterName);

    const flowLogs = encryptedLogGroup(this, 'FlowLogs', props.key, { removal: props.removal });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: props.flowLogTraffic ?? ec2.FlowLogTrafficType.ALL,
    });

    // ECR stores image layers in S3: with this endpoint layer downloads skip NAT data processing.
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    if (props.interfaceEndpoints) {
      // HTTPS from inside the VPC only (the CIDR as a literal, so cdk-nag can read the rule).
      const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: this.vpc,
        description: 'Interface VPC endpoints: HTTPS from the VPC',
        allowAllOutbound: false,
      });
      endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(props.cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
      for (const service of INTERFACE_ENDPOINT_SERVICES) {
        const id = service.shortName.replace(/(^|[.-])(\w)/g, (_m, _s, c: string) => c.toUpperCase());
        this.vpc.addInterfaceEndpoint(id, {
          service,
          subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          privateDnsEnabled: true,
          securityGroups: [endpointSecurityGroup],
          open: false,
        });
      }
    }
  }
}

function tagSubnet(subnet: ec2.ISubnet, roleTag: string, clusterName: string): void {
  const cfn = subnet.node.defaultChild as ec2.CfnSubnet;
  cfn.tags.setTag(roleTag, '1');
  cfn.tags.setTag(`kubernetes.io/cluster/${clusterName}`, 'shared');
}
