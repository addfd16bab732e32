import { type CfnElement, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledge, nagAccount } from '../checks/nag';
import { encryptedLogGroup } from './log-groups';

export interface CiRunnerProps {
  /**
   * Name of the CodeBuild project. A GitHub Actions job runs on it with
   * `runs-on: codebuild-<projectName>-${{ github.run_id }}-${{ github.run_attempt }}`.
   */
  readonly projectName: string;
  /** The environment's VPC: the runner gets its network interfaces in the private subnets. */
  readonly vpc: ec2.IVpc;
  /** The environment's cluster security group: it admits the runner on 443 (the cluster endpoint). */
  readonly clusterSecurityGroup: ec2.ISecurityGroup;
  /** Encrypts the build logs and CodeBuild's own artifacts. */
  readonly key: kms.IKey;
  /** The repository whose queued workflow jobs start the runner. */
  readonly github: { readonly owner: string; readonly repository: string };
  readonly removal: RemovalPolicy;
  /**
   * Longest job.
   * @default Duration.minutes(60)
   */
  readonly timeout?: Duration;
}

/**
 * A GitHub Actions runner inside the environment's VPC: an AWS CodeBuild project (CodeBuild-hosted GitHub Actions
 * runner) whose webhook starts a build for every queued workflow job that asks for it by label. It runs in the
 * private subnets (NAT egress), so it reaches a private-only EKS endpoint, and the public one is never needed.
 *
 * The runner's role has no AWS or cluster rights of its own beyond running: the deploy job still assumes the
 * environment's deploy role through OIDC (the GitHub Environment's rules apply) and that role's access entry is
 * scoped to the application namespace. One-time step per account and region: a CodeConnections GitHub connection
 * imported as CodeBuild's source credential (docs/delivery.md#one-time-setup-per-system-a-pipeline-cannot-do-it;
 * `npm run deploy:stacks` checks it before deploying the runner).
 */
export class CiRunner extends Construct {
  readonly project: codebuild.Project;
  readonly securityGroup: ec2.SecurityGroup;
  /** The `runs-on` label of a GitHub Actions job for this runner. */
  readonly runsOn: string;

  constructor(scope: Construct, id: string, props: CiRunnerProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{1,149}$/.test(props.projectName)) {
      throw new Error(`CiRunner ${this.node.path}: projectName is ${JSON.stringify(props.projectName)}; expected 2-150 letters, digits, "-" or "_" (a CodeBuild project name)`);
    }

    // Egress: HTTPS only — the cluster endpoint, the AWS APIs (STS, EKS, ECR, CloudFormation, …) through the NAT
    // gateways, GitHub and the package registries. DNS goes to the VPC resolver, which security groups do not filter.
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `CI runner ${props.projectName}: HTTPS to the EKS endpoint and the AWS APIs only`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS: EKS endpoint, AWS APIs, GitHub, package registries');
    props.clusterSecurityGroup.connections.allowFrom(this.securityGroup, ec2.Port.tcp(443), `CI runner ${props.projectName} to the EKS endpoint`);

    // A generated name: a kept group of an earlier runner (or of the runner that lived in the environment stack) never
    // blocks a new one.
    const logs = encryptedLogGroup(this, 'Logs', props.key, { removal: props.removal });

    this.project = new codebuild.Project(this, 'Project', {
      projectName: props.projectName,
      description: `GitHub Actions runner in the VPC for ${props.github.owner}/${props.github.repository} (jobs with runs-on: codebuild-${props.projectName}-…)`,
      source: codebuild.Source.gitHub({
        owner: props.github.owner,
        repo: props.github.repository,
        webhook: true,
        webhookFilters: [codebuild.FilterGroup.inEventOf(codebuild.EventAction.WORKFLOW_JOB_QUEUED)],
        reportBuildStatus: false,
      }),
      environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_8_0, computeType: codebuild.ComputeType.MEDIUM, privileged: false },
      vpc: props.vpc,
      subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      encryptionKey: props.key,
      logging: { cloudWatch: { logGroup: logs } },
      timeout: props.timeout ?? Duration.minutes(60),
      queuedTimeout: Duration.minutes(30),
    });

    this.allowGitHubConnection();
    this.acknowledgeCodeBuildDefaults(props.projectName);
    this.runsOn = `codebuild-${props.projectName}-\${{ github.run_id }}-\${{ github.run_attempt }}`;
  }

  /** The webhook and the job's checkout use the account's CodeConnections GitHub connection (made once by hand). */
  private allowGitHubConnection(): void {
    const stack = Stack.of(this);
    const connections = ['codeconnections', 'codestar-connections'].map((service) => `arn:${stack.partition}:${service}:${stack.region}:${stack.account}:connection/*`);
    const policy = new iam.Policy(this, 'ConnectionPolicy', {
      statements: [
        new iam.PolicyStatement({
          sid: 'UseGitHubConnection',
          actions: ['codeconnections:GetConnectionToken', 'codeconnections:GetConnection', 'codestar-connections:GetConnectionToken', 'codestar-connections:GetConnection'],
          resources: connections,
        }),
      ],
    });
    this.project.role!.attachInlinePolicy(policy);
    acknowledge(
      policy,
      Object.fromEntries(
        connections.map((arn) => [
          `AwsSolutions-IAM5[Resource::${arn.replace(stack.partition, '<AWS::Partition>').replace(stack.account, nagAccount(stack))}]`,
          "The connection ID is generated by the one-time console handshake with GitHub (not known at synth); read-only use of this account and region's connections",
        ]),
      ),
    );
  }

  /** cdk-nag findings on the policies aws-cdk-lib's codebuild.Project writes for a project in a VPC with a key. */
  private acknowledgeCodeBuildDefaults(projectName: string): void {
    const stack = Stack.of(this);
    const projectRef = `<${stack.getLogicalId(this.project.node.defaultChild as CfnElement)}>`;
    const byCdk = "Written by aws-cdk-lib's codebuild.Project";
    acknowledge(this.project.role!.node.findChild('DefaultPolicy'), {
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]': `${byCdk} for its encryption key: the environment's own key only`,
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]': `${byCdk} for its encryption key: the environment's own key only`,
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codebuild:${stack.region}:${nagAccount(stack)}:report-group/${projectRef}-*]`]: `${byCdk}: test report groups of this project only (named after it)`,
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${stack.region}:${nagAccount(stack)}:log-group:/aws/codebuild/${projectRef}:*]`]: `${byCdk}: log streams of this project's log group (/aws/codebuild/${projectName}) only`,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]': `${byCdk} in a VPC: CodeBuild creates the build's network interfaces at run time (conditioned on the private subnets and the CodeBuild service)`,
    });
    acknowledge(this.project.node.findChild('PolicyDocument'), {
      'AwsSolutions-IAM5[Resource::*]': `${byCdk} in a VPC: ec2:CreateNetworkInterface/Describe* have no resource-level permissions for the interfaces CodeBuild creates at run time`,
    });
  }
}
