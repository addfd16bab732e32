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
}

/** Availability zones of the VPC: `VPC_AZS` from the configuration rules (an account-agnostic stack's `Fn::GetAZs` yields two). */
export const NETWORK_AZS = VPC_AZS;

/**
 * The environment's VPC: public, private (NAT egress: nodes, Lambda rotation) and isolated (database) subnets
 * in two AZs, and REJECT+ACCEPT flow logs into a KMS-encrypted log group.
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
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}

function tagSubnet(subnet: ec2.ISubnet, roleTag: string, clusterName: string): void {
  const cfn = subnet.node.defaultChild as ec2.CfnSubnet;
  cfn.tags.setTag(roleTag, '1');
  cfn.tags.setTag(`kubernetes.io/cluster/${clusterName}`, 'shared');
}
