import { CfnOutput, CfnParameter, CfnResource, Fn, RemovalPolicy, Stack, type StackProps, Token } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EnvironmentConfig, PlatformConfig, WorkloadOutputs } from '../../config';
import {
  apiClientOrigin,
  controlPlaneLogTypes,
  dnsZoneInAnotherAccount,
  flowLogTraffic,
  interfaceEndpoints,
  loadBalancerTag,
  resolveOperations,
  databaseRoleName,
  databaseRoleSpecs,
  releasedServiceName,
  publicHosts,
  WORKLOAD_DATABASE_NAME,
  WORKLOAD_OUTPUT_FIELDS,
} from '../../config';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { UploadApi } from '../constructs/api';
import { PlatformBackup } from '../constructs/backup';
import { PlatformCluster } from '../constructs/cluster';
import { addWorkloadIdentity, type WorkloadIdentity } from '../constructs/workload-identity';
import { ClusterOperations } from '../constructs/cluster-operations';
import { Database } from '../constructs/database';
import { DatabaseRole } from '../constructs/database-role';
import { ExternalDns } from '../constructs/dns';
import { ContainerLogs, Monitoring } from '../constructs/monitoring';
import { createPlatformKey } from '../constructs/keys';
import { Network } from '../constructs/network';
import { destroyFixedNameLogGroups } from '../constructs/log-groups';
import { Storage } from '../constructs/storage';
import { names, SHARED_VALUES_NONCE } from '../names';
import type { EnvironmentIdentity, IdentityStack } from './identity-stack';
import type { RegionalStack } from './regional-stack';
import { addRunnerNetworkOutputs } from './runner-stack';

export interface EnvironmentStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly environment: EnvironmentConfig;
  readonly identity: IdentityStack;
  readonly regional: RegionalStack;
  /** Folder of the bundled Lambda handler (dist/lambda). */
  readonly lambdaCodeDir: string;
  /**
   * Account of the image repository (the shared-services account of the multi-account layout).
   * @default - this stack's account
   */
  readonly imageRegistryAccount?: string;
  /** Folder of the bundled database-role bootstrap handler (dist/database-role). */
  readonly databaseRoleCodeDir: string;
  /**
   * The stack is being created: the database without deletion protection, so a failed create can roll back (delete
   * the new, empty instance). `npm run deploy:stacks` turns it on right after a successful create.
   * @default false
   */
  readonly creating?: boolean;
}

/** The WorkloadOutputs fields whose values come from the shared stacks. */
export const SHARED_OUTPUT_FIELDS = ['certificateArn', 'userPoolArn', 'userPoolId', 'userPoolClientId', 'userPoolClientSecretArn', 'apiClientId'] as const;

/** CloudFormation logical ID of the environment's database instance: changing it replaces the database. */
export const DATABASE_LOGICAL_ID = 'Database';

/**
 * One environment: its KMS key, network, EKS cluster, database, bucket, the web workload's Pod Identity role,
 * the upload API, and one CloudFormation output per `WorkloadOutputs` field.
 */
export class EnvironmentStack extends Stack {
  readonly key: kms.Key;
  readonly network: Network;
  readonly platformCluster: PlatformCluster;
  readonly database: Database;
  readonly databaseRole: DatabaseRole;
  readonly storage: Storage;
  /** Each workload's Pod Identity role (and policy), by workload name. */
  readonly workloadIdentities: ReadonlyMap<string, WorkloadIdentity>;
  readonly api: UploadApi;
  readonly monitoring: Monitoring;
  readonly clusterOperations: ClusterOperations;
  /** Production environments only. */
  readonly backup?: PlatformBackup;
  readonly workloadOutputs: WorkloadOutputs;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id, props);
    const { config, environment: env } = props;
    const clusterName = names.cluster(config, env);
    // Logs and buckets: kept unless the environment's data may be destroyed (never in production), except when the
    // stack's own first create rolls back (so a retry does not meet leftovers). Compute is never retained.
    const keep = env.production || env.dataRetention.removal !== 'destroy';
    const removal = keep ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY;
    const identity: EnvironmentIdentity = props.identity.clientFor(env.name);
    const operations = resolveOperations(env.operations, env.production);
    const site: Site = { config, env, clusterName, removal, operations };

    this.key = createPlatformKey(this, 'Key', `${config.project} ${env.name}: EKS secrets, RDS, S3, Secrets Manager, logs`, removal);
    this.network = this.addNetwork(site);
    this.platformCluster = this.addCluster(site);
    this.addDns(site);
    const cluster = this.platformCluster.cluster;
    // The CI runner is the runner stack's (deployed after this one, from a hosted job): it reads these outputs.
    addRunnerNetworkOutputs(this, { vpc: this.network.vpc, clusterSecurityGroup: cluster.clusterSecurityGroup, key: this.key });
    this.database = this.addDatabase(site, props.creating ?? false);
    this.databaseRole = this.addDatabaseRole(site, props.databaseRoleCodeDir);

    // The browser app is served from the public services' hosts: the only origins of the API and the bucket.
    const siteOrigins = publicHosts(env.workloads).map(apiClientOrigin);
    this.storage = new Storage(this, 'Storage', { key: this.key, removal, corsOrigins: siteOrigins });
    this.workloadIdentities = this.addWorkloadIdentities(site);

    // Every value of the shared stacks is read once, through the relay (see relayShared): so a changed one reaches
    // every resource that uses it on the next deploy.
    const certificate = props.regional.certificate;
    if (!certificate) throw new Error(`EnvironmentStack ${id}: stack ${props.regional.stackName} has no certificate; an ALB needs one of its own account and region`);
    const shared = this.relayShared(config, env, {
      certificateArn: certificate.certificateArn,
      userPoolArn: identity.userPool.userPoolArn,
      userPoolId: identity.userPool.userPoolId,
      userPoolClientId: identity.client.userPoolClientId,
      userPoolClientSecretArn: identity.clientSecret.secretArn,
      apiClientId: identity.apiClient.userPoolClientId,
    });
    this.api = this.addApi(site, shared, siteOrigins, props.lambdaCodeDir);
    const operated = this.addOperations(site);
    this.clusterOperations = operated.clusterOperations;
    this.monitoring = operated.monitoring;
    this.backup = operated.backup;
    this.workloadOutputs = this.outputsOf(site, shared, props.imageRegistryAccount);
    this.addOutputs(env);
  }

  private addNetwork({ env, clusterName, removal }: Site): Network {
    return new Network(this, 'Network', {
      cidr: env.vpcCidr,
      natGateways: env.natGateways,
      key: this.key,
      removal,
      clusterName,
      interfaceEndpoints: interfaceEndpoints(env),
      flowLogTraffic: flowLogTraffic(env) === 'all' ? ec2.FlowLogTrafficType.ALL : ec2.FlowLogTrafficType.REJECT,
    });
  }

  private addCluster({ config, env, clusterName, removal }: Site): PlatformCluster {
    const deployRoleArn = this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: names.deployRole(config, env) });
    return new PlatformCluster(this, 'Eks', {
      clusterName,
      project: config.project,
      config: env.cluster,
      vpc: this.network.vpc,
      key: this.key,
      deployRoleArn,
      applicationNamespace: env.namespace,
      removal,
      controlPlaneLogTypes: controlPlaneLogTypes(env),
    });
  }

  /** DNS: the application hostname's alias record to the ALB (the site and the Cognito callback resolve). */
  private addDns({ config, env }: Site): void {
    const cluster = this.platformCluster.cluster;
    new ExternalDns(this, 'Dns', {
      cluster,
      hostedZoneId: config.dns.hostedZoneId,
      zoneName: config.dns.zoneName,
      hostnames: publicHosts(env.workloads),
      after: [this.platformCluster.nodegroup, cluster.eksPodIdentityAgent!],
      // Multi-account: the zone is the shared services'; external-dns works through their records role for this environment.
      zoneAccount: dnsZoneInAnotherAccount(config, env)
        ? {
            recordsRoleArn: `arn:${this.partition}:iam::${config.sharedServicesAccount}:role/${names.dnsRecordsRole(config, env)}`,
            sourceRoleName: names.externalDnsRole(config, env),
          }
        : undefined,
    });
  }

  /** `creating`: without deletion protection, so a failed first create can roll back. */
  private addDatabase({ config, env, removal, operations }: Site, creating: boolean): Database {
    const database = new Database(this, 'Database', {
      vpc: this.network.vpc,
      key: this.key,
      config: env.database,
      retention: { ...env.dataRetention, deletionProtection: env.dataRetention.deletionProtection && !creating },
      clientSecurityGroup: this.platformCluster.cluster.clusterSecurityGroup,
      databaseName: WORKLOAD_DATABASE_NAME,
      instanceIdentifier: names.database(config, env),
      preferredMaintenanceWindow: operations.maintenanceWindow,
      cloudwatchLogsRetentionDays: operations.databaseLogRetentionDays,
      logsRemovalPolicy: removal,
    });
    // A new logical ID replaces the instance (a new, empty database). Pinned, so moving or wrapping the construct in
    // a refactor cannot do that silently (test/infra/database-replacement.test.ts guards the rest).
    (database.instance.node.defaultChild as CfnResource).overrideLogicalId(DATABASE_LOGICAL_ID);
    return database;
  }

  /** Each workload's own role (IAM authentication, its schema and grants); only the bootstrap reads the master secret. */
  private addDatabaseRole({ env, removal }: Site, codeDir: string): DatabaseRole {
    return new DatabaseRole(this, 'DatabaseRole', {
      vpc: this.network.vpc,
      instance: this.database.instance,
      masterSecret: this.database.secret,
      key: this.key,
      specs: databaseRoleSpecs(env.workloads, WORKLOAD_DATABASE_NAME),
      codeDir,
      removal,
      // The restored instance's ID after `npm run restore:db -- --switch`, without a template change.
      instanceResourceId: this.database.resourceId,
    });
  }

  /** Each workload's identity: its bucket prefix (and key) and a login as its own database user. Never the master secret. */
  private addWorkloadIdentities({ env }: Site): Map<string, WorkloadIdentity> {
    return new Map(
      env.workloads.map((workload) => [
        workload.name,
        addWorkloadIdentity(this, {
          workload,
          namespace: env.namespace,
          clusterName: this.platformCluster.cluster.clusterName,
          bucket: this.storage.bucket,
          key: this.key,
          databaseConnectArn: workload.database ? this.databaseRole.connectArn(databaseRoleName(workload.name)) : undefined,
        }),
      ]),
    );
  }

  private addApi({ config, env, removal }: Site, shared: SharedValues, corsOrigins: string[], codeDir: string): UploadApi {
    return new UploadApi(this, 'Api', {
      functionName: names.apiFunction(config, env),
      codeDir,
      bucket: this.storage.bucket,
      key: this.key,
      jwtIssuer: `https://cognito-idp.${config.identity.region}.amazonaws.com/${shared.userPoolId}`,
      // The browser app's public client, and the ALB's client (whose access token the ALB passes to the web app).
      jwtAudience: [shared.apiClientId, shared.userPoolClientId],
      corsOrigins,
      throttleRatePerSecond: env.apiThrottleRatePerSecond,
      throttleBurst: env.apiThrottleBurst,
      reservedConcurrency: env.apiReservedConcurrency,
      removal,
    });
  }

  /** Container logs and metrics, metrics-server, Cluster Autoscaler; alarms, dashboard and (production) backups. */
  private addOperations({ config, env, clusterName, removal, operations }: Site): {
    clusterOperations: ClusterOperations;
    monitoring: Monitoring;
    backup?: PlatformBackup;
  } {
    const cluster = this.platformCluster.cluster;
    const containerLogs = new ContainerLogs(this, 'ContainerLogs', { clusterName, key: this.key, retentionDays: operations.containerLogRetentionDays, removal });
    const clusterOperations = new ClusterOperations(this, 'ClusterOperations', {
      cluster,
      clusterName,
      kubernetesVersion: env.cluster.kubernetesVersion,
      dependsOn: [this.platformCluster.nodegroup, cluster.eksPodIdentityAgent!, containerLogs],
    });
    const prefix = `${config.project}-${env.name}`;
    const monitoring = new Monitoring(this, 'Monitoring', {
      prefix,
      operations,
      key: this.key,
      clusterName,
      loadBalancerTag: loadBalancerTag(config.project, env.name),
      applicationLogs: containerLogs.groups.application,
      namespace: env.namespace,
      workloads: env.workloads,
      api: this.api.api,
      apiFunction: this.api.function,
      database: this.database.instance,
      databaseAllocatedStorageGiB: env.database.allocatedStorageGiB,
    });
    if (!env.production) return { clusterOperations, monitoring };
    const backup = new PlatformBackup(this, 'Backup', {
      prefix,
      key: this.key,
      retentionDays: operations.backup.retentionDays,
      copyToRegion: operations.backup.copyToRegion,
      database: this.database.instance,
      buckets: [this.storage.bucket, this.storage.accessLogs],
    });
    return { clusterOperations, monitoring, backup };
  }

  /** The WorkloadOutputs values (the contract with the deploy command). */
  private outputsOf({ config, env }: Site, shared: SharedValues, imageRegistryAccount: string | undefined): WorkloadOutputs {
    // The registry the nodes pull from: the first declared image's repository names it (every image's is in the same registry).
    const imageRepositoryUri = `${imageRegistryAccount ?? this.account}.dkr.ecr.${this.region}.${this.urlSuffix}/${config.images[0].repositoryName}`;
    return {
      environment: env.name,
      clusterName: this.platformCluster.cluster.clusterName,
      region: this.region,
      namespace: env.namespace,
      ...shared,
      userPoolRegion: config.identity.region,
      userPoolDomain: config.identity.domainPrefix,
      podRoleArn: this.workloadIdentities.get(releasedServiceName(env.workloads) ?? env.workloads[0].name)!.role.roleArn,
      bucketName: this.storage.bucket.bucketName,
      databaseEndpoint: this.database.instance.dbInstanceEndpointAddress,
      databasePort: this.database.instance.dbInstanceEndpointPort,
      account: this.account,
      imageRepositoryUri,
      apiUrl: this.api.url,
    };
  }

  /** One CloudFormation output per WorkloadOutputs field, and the administrators' master secret ARN. */
  private addOutputs(env: EnvironmentConfig): void {
    for (const field of WORKLOAD_OUTPUT_FIELDS) {
      new CfnOutput(this, field, { key: field, value: this.workloadOutputs[field], description: `WorkloadOutputs.${field}` });
    }
    // A recreate of a non-production environment must not meet its previous log groups (names fixed by the services).
    if (!env.production) destroyFixedNameLogGroups(this);
    // For administrators (break-glass, rotation checks): not part of the workload contract.
    new CfnOutput(this, 'DatabaseMasterSecretArn', {
      value: this.database.secret.secretArn,
      description: 'Master credentials of the database (administrators only; the workload cannot read them)',
    });
  }

  /**
   * Never a context lookup, whatever the stack's account: the region's first two zones from `Fn::GetAZs` at deploy
   * time, as for an account-agnostic stack, so `npm run synth` stays offline with explicit accounts too.
   */
  override get availabilityZones(): string[] {
    return [Fn.select(0, Fn.getAzs()), Fn.select(1, Fn.getAzs())];
  }

  /**
   * The shared values, resolved at deploy time into one SSM parameter (standard tier, no secret: IDs and ARNs) and
   * read back from it; every resource and output of this stack uses the values read back. They arrive as
   * Fn::GetStackOutput (weak references, so a replaced certificate or client never blocks the shared stack), which
   * CloudFormation does not take in an output's value. The parameter's description carries SHARED_VALUES_NONCE, new
   * on every `npm run deploy:stacks`: the relay is updated on each deploy, CloudFormation re-reads the shared outputs,
   * and a changed value then updates whatever uses it. A plain CfnResource: the aws-ssm module would be parsed on
   * every synth for it.
   */
  private relayShared(config: PlatformConfig, env: EnvironmentConfig, values: SharedValues): SharedValues {
    const separator = '|';
    const nonce = new CfnParameter(this, SHARED_VALUES_NONCE, {
      type: 'String',
      default: 'none',
      description: 'Set anew by npm run deploy:stacks on every deploy: the shared values are read again (scripts/deploy-stacks.ts)',
    });
    const parameter = new CfnResource(this, 'SharedValues', {
      type: 'AWS::SSM::Parameter',
      properties: {
        Name: `/${config.project}/${env.name}/shared-values`,
        Type: 'String',
        Value: Fn.join(
          separator,
          SHARED_OUTPUT_FIELDS.map((field) => values[field]),
        ),
        Description: Fn.join('', [`${SHARED_OUTPUT_FIELDS.join(separator)} of the shared stacks, read by deploy `, nonce.valueAsString]),
      },
    });
    const relayed = Fn.split(separator, Token.asString(parameter.getAtt('Value')));
    return Object.fromEntries(SHARED_OUTPUT_FIELDS.map((field, i) => [field, Fn.select(i, relayed)])) as unknown as SharedValues;
  }
}

/** What the parts of an environment's stack are built from. */
interface Site {
  readonly config: PlatformConfig;
  readonly env: EnvironmentConfig;
  readonly clusterName: string;
  /** Removal policy of logs and buckets. */
  readonly removal: RemovalPolicy;
  readonly operations: ReturnType<typeof resolveOperations>;
}

/** The WorkloadOutputs values of the shared stacks. */
type SharedValues = Pick<WorkloadOutputs, (typeof SHARED_OUTPUT_FIELDS)[number]>;
