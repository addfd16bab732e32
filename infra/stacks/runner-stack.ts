import { CfnOutput, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EnvironmentConfig, PlatformConfig } from '../../config';
import { CiRunner } from '../constructs/ci-runner';
import { NETWORK_AZS } from '../constructs/network';
import { names } from '../names';

/** The outputs of an environment stack that its runner stack reads (Fn::GetStackOutput, same account and region). */
export const RUNNER_NETWORK_OUTPUTS = {
  vpcId: 'RunnerVpcId',
  /** One output per zone (cfn-lint takes Fn::GetStackOutput in no Fn::Split): `<prefix><1..n>`. */
  availabilityZone: 'RunnerAvailabilityZone',
  privateSubnetId: 'RunnerPrivateSubnet',
  clusterSecurityGroupId: 'RunnerClusterSecurityGroupId',
  keyArn: 'RunnerKeyArn',
} as const;

export interface RunnerStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly environment: EnvironmentConfig;
  /** Name of the environment stack whose VPC, cluster security group and key the runner uses. */
  readonly environmentStackName: string;
}

/**
 * The GitHub Actions runner of one environment (CodeBuild project in the environment's private subnets), in a stack
 * of its own: a GitHub-hosted job deploys the environment stack (CloudFormation only, never the cluster API) and then
 * this stack, before the job that needs the runner is queued. The environment stack therefore never waits for a
 * runner it creates itself, and a missing GitHub connection fails this small stack, not the environment's create.
 *
 * It reads the environment stack's values with Fn::GetStackOutput (weak: they never lock the environment stack).
 */
export class RunnerStack extends Stack {
  readonly runner: CiRunner;

  constructor(scope: Construct, id: string, props: RunnerStackProps) {
    super(scope, id, props);
    const { config, environment: env } = props;
    const output = (name: string) => Fn.getStackOutput(props.environmentStackName, name);
    const zones = Array.from({ length: NETWORK_AZS }, (_, i) => i + 1);
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: output(RUNNER_NETWORK_OUTPUTS.vpcId),
      availabilityZones: zones.map((n) => output(`${RUNNER_NETWORK_OUTPUTS.availabilityZone}${n}`)),
      privateSubnetIds: zones.map((n) => output(`${RUNNER_NETWORK_OUTPUTS.privateSubnetId}${n}`)),
    });
    const clusterSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'ClusterSecurityGroup', output(RUNNER_NETWORK_OUTPUTS.clusterSecurityGroupId), {
      allowAllOutbound: false,
    });
    const key = kms.Key.fromKeyArn(this, 'Key', output(RUNNER_NETWORK_OUTPUTS.keyArn));
    const keep = env.production || env.dataRetention.removal !== 'destroy';
    this.runner = new CiRunner(this, 'Runner', {
      projectName: names.runnerProject(config, env),
      vpc,
      clusterSecurityGroup,
      key,
      github: config.github,
      removal: keep ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY,
    });
    new CfnOutput(this, 'runnerProject', { value: this.runner.project.projectName, description: 'CodeBuild project of the GitHub Actions runner (runs-on: codebuild-<this>-…)' });
  }
}

/** The environment stack's outputs for its runner stack. */
export function addRunnerNetworkOutputs(scope: Construct, values: { vpc: ec2.IVpc; clusterSecurityGroup: ec2.ISecurityGroup; key: kms.IKey }): void {
  const subnets = values.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
  const description = (what: string) => `${what} (read by the runner stack)`;
  new CfnOutput(scope, RUNNER_NETWORK_OUTPUTS.vpcId, { value: values.vpc.vpcId, description: description('VPC') });
  subnets.subnets.forEach((subnet, i) => {
    new CfnOutput(scope, `${RUNNER_NETWORK_OUTPUTS.availabilityZone}${i + 1}`, { value: subnet.availabilityZone, description: description(`Zone of private subnet ${i + 1}`) });
    new CfnOutput(scope, `${RUNNER_NETWORK_OUTPUTS.privateSubnetId}${i + 1}`, { value: subnet.subnetId, description: description(`Private subnet ${i + 1}`) });
  });
  new CfnOutput(scope, RUNNER_NETWORK_OUTPUTS.clusterSecurityGroupId, {
    value: values.clusterSecurityGroup.securityGroupId,
    description: description('EKS cluster security group'),
  });
  new CfnOutput(scope, RUNNER_NETWORK_OUTPUTS.keyArn, { value: values.key.keyArn, description: description('KMS key of the environment') });
}
