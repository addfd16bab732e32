import { ArnFormat, CustomResource, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { databaseRoleStatements, type DatabaseRoleSpec } from '../../lambda/database-role/statements';
import { POSTGRES_PORT } from './database';
import { acknowledge, nagArn } from '../checks/nag';
import { encryptedLogGroup } from './log-groups';

export interface DatabaseRoleProps {
  readonly vpc: ec2.IVpc;
  readonly instance: rds.DatabaseInstance;
  /** The master secret: read by this construct's function only (and the rotation function). */
  readonly masterSecret: secretsmanager.ISecret;
  /** The key of the secret and of the function's logs and environment. */
  readonly key: kms.IKey;
  /** One PostgreSQL role per workload with database access; a role that reads another's schema comes after its owner. */
  readonly specs: readonly DatabaseRoleSpec[];
  /** Folder holding the bundled handler `index.js` (dist/database-role, written by `npm run build`). */
  readonly codeDir: string;
  readonly removal: RemovalPolicy;
  /**
   * DbiResourceId named by `connectArn` (a restored instance has a new one: infra/constructs/database.ts `resourceId`).
   * @default - the instance's own
   */
  readonly instanceResourceId?: string;
}

/**
 * The workloads' own PostgreSQL roles, each created and kept as declared at every `cdk deploy` by a custom resource
 * (one function for all of them) that runs in the VPC and connects as the master user.
 *
 * Why here and not in a Kubernetes Job: the master secret then never becomes readable from inside the cluster.
 * A Job would need a Pod Identity role that reads it, bound to a ServiceAccount in the application namespace,
 * where the CI deploy role (namespace admin) could run any pod under that ServiceAccount. Here only this
 * function's role (and the rotation function) may read it, and nothing in the cluster can assume that role.
 */
export class DatabaseRole extends Construct {
  readonly function: lambda.Function;
  /** The custom resource of each role, by role name. */
  readonly resources = new Map<string, CustomResource>();
  /** The instance's resource ID the grants name (a restored instance's, once `restore:db --switch` set it). */
  private readonly instanceResourceId: string;

  constructor(scope: Construct, id: string, props: DatabaseRoleProps) {
    super(scope, id);
    if (!existsSync(join(props.codeDir, 'index.js'))) {
      throw new Error(
        `DatabaseRole ${this.node.path}: ${join(props.codeDir, 'index.js')} is missing; run "npm run build" (it bundles lambda/database-role/index.ts into dist/database-role/) before synth`,
      );
    }
    for (const spec of props.specs) databaseRoleStatements(spec); // validates every spec (names the bad value) before anything is built
    this.instanceResourceId = props.instanceResourceId ?? (props.instance.instanceResourceId as string);
    this.function = this.addFunction(props);
    const provider = this.addProvider();
    for (const spec of props.specs) this.addRole(provider.serviceToken, props, spec);
  }

  /** The bootstrap function: in the VPC, reaching only the database and HTTPS; it alone reads the master secret. */
  private addFunction(props: DatabaseRoleProps): lambda.Function {
    const stack = Stack.of(this);
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Database role bootstrap: PostgreSQL and HTTPS (Secrets Manager, CloudFormation response) only',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Secrets Manager and the CloudFormation response URL (through NAT)');
    // Ingress on the database's group and the matching egress on this one.
    props.instance.connections.allowFrom(securityGroup, ec2.Port.tcp(POSTGRES_PORT), 'PostgreSQL from the database role bootstrap');

    const logs = encryptedLogGroup(this, 'Logs', props.key, { removal: props.removal });
    const role = new iam.Role(this, 'FunctionRole', {
      description: 'Database role bootstrap: reads the master secret, writes its logs, ENIs in the VPC',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const policy = new iam.Policy(this, 'Policy', {
      statements: [
        new iam.PolicyStatement({ sid: 'Logs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${logs.logGroupArn}:*`] }),
        new iam.PolicyStatement({ sid: 'MasterSecret', actions: ['secretsmanager:GetSecretValue'], resources: [props.masterSecret.secretArn] }),
        new iam.PolicyStatement({
          sid: 'SecretKey',
          actions: ['kms:Decrypt'],
          resources: [props.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
        }),
      ],
    });
    role.attachInlinePolicy(policy);
    acknowledge(policy, {
      [`AwsSolutions-IAM5[Resource::${nagArn(logs)}:*]`]: "Log streams of the function's own log group are created at run time",
    });

    const fn = new lambda.Function(this, 'Function', {
      description: 'Creates and converges the application PostgreSQL role (custom resource)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(props.codeDir),
      memorySize: 256,
      timeout: Duration.minutes(2),
      role,
      logGroup: logs,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      // No reserved concurrency: it runs once per deploy, and a reservation would take a unit out of the account's
      // pool for good (a new account may have none to spare: "UnreservedConcurrentExecution below its minimum").
      // The runtime's CA bundle with the RDS certificate authorities (Node.js 20+ runtimes no longer load it by default).
      environment: { NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' },
      environmentEncryption: props.key,
    });
    fn.node.addDependency(policy);
    acknowledge(role.node.defaultChild as Construct, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]':
        'Added by aws-cdk-lib to every function in a VPC: the ENI permissions Lambda needs there (AWS-managed)',
    });
    return fn;
  }

  /** aws-cdk-lib's custom resource provider around the function, its findings acknowledged. */
  private addProvider(): cr.Provider {
    const provider = new cr.Provider(this, 'Provider', { onEventHandler: this.function });
    const onEvent = provider.node.findChild('framework-onEvent') as lambda.Function;
    acknowledge(onEvent.role!.node.defaultChild as Construct, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
        "Role of aws-cdk-lib's custom resource provider framework function (created by aws-cdk-lib): AWS-managed logging policy",
    });
    acknowledge(onEvent.node.defaultChild as Construct, {
      'AwsSolutions-L1': "The provider framework function's runtime is chosen by aws-cdk-lib; not configurable",
    });
    acknowledge(onEvent.role!.node.findChild('DefaultPolicy').node.defaultChild as Construct, {
      [`AwsSolutions-IAM5[Resource::${nagArn(this.function)}:*]`]:
        'The provider framework invokes any version/alias of the bootstrap function (aws-cdk-lib custom resource framework)',
    });

    return provider;
  }

  /** ARN to grant `rds-db:connect` on: exactly this database user of this instance. */
  connectArn(roleName: string): string {
    if (!this.resources.has(roleName)) throw new Error(`DatabaseRole ${this.node.path}: no role "${roleName}" (have: ${[...this.resources.keys()].join(', ')})`);
    return Stack.of(this).formatArn({
      service: 'rds-db',
      resource: 'dbuser',
      resourceName: `${this.instanceResourceId}/${roleName}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  private addRole(serviceToken: string, props: DatabaseRoleProps, input: DatabaseRoleSpec): void {
    const spec = { iamAuthentication: true, connectionLimit: 50, ...input };
    const statements = databaseRoleStatements(input);
    const resource = new CustomResource(this, `Role-${spec.roleName}`, {
      serviceToken,
      resourceType: 'Custom::DatabaseRole',
      properties: {
        SecretArn: props.masterSecret.secretArn,
        Host: props.instance.dbInstanceEndpointAddress,
        Port: props.instance.dbInstanceEndpointPort,
        RoleName: spec.roleName,
        DatabaseName: spec.databaseName,
        SchemaName: spec.schemaName ?? '',
        Grants: JSON.stringify(spec.grants ?? []),
        IamAuthentication: String(spec.iamAuthentication),
        ConnectionLimit: String(spec.connectionLimit),
        // A changed statement (a new grant, a fix) is a changed property: CloudFormation sends an Update.
        StatementsHash: createHash('sha256').update(JSON.stringify(statements)).digest('hex').slice(0, 16),
      },
    });
    // A grant on another workload's schema needs that schema (and its owner) first.
    for (const grant of spec.grants ?? []) {
      const owner = this.resources.get(grant.schema);
      if (!owner) throw new Error(`DatabaseRole ${this.node.path}: role "${spec.roleName}" reads schema "${grant.schema}", whose owner is not declared before it`);
      resource.node.addDependency(owner);
    }
    this.resources.set(spec.roleName, resource);
  }
}
