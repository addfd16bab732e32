import { CfnCondition, CfnParameter, Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DATABASE_PORT, type DatabaseConfig, type DataRetentionConfig } from '../../config';
import { DATABASE_BACKUP_WINDOW } from '../../config';
import { type DatabaseMaintenanceProps, databaseMaintenance, finishDatabaseMaintenance } from './database-maintenance';
import { acknowledge } from '../checks/nag';
import { RESTORED_DATABASE_PARAMETER } from '../names';

/** The pinned PostgreSQL engine (a minor version: cfn-lint W3691 flags major-only versions). */
export const POSTGRES_VERSION = rds.PostgresEngineVersion.VER_17_9;
/** The shared database port (config/workload.ts): the charts' network policy allows the same one. */
export const POSTGRES_PORT = DATABASE_PORT;
/** Characters left out of generated passwords so they survive URLs and shells. */
const EXCLUDE = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

/** With the operations settings: fixed identifier, maintenance window, monitoring, log exports (infra/constructs/database-maintenance.ts). */
export interface DatabaseProps extends DatabaseMaintenanceProps {
  readonly vpc: ec2.IVpc;
  readonly key: kms.IKey;
  readonly config: DatabaseConfig;
  readonly retention: DataRetentionConfig;
  /** The EKS cluster security group (on every managed node's ENI): the only client. */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  readonly databaseName: string;
}

/**
 * Maps the configured removal behaviour of stateful data to a CloudFormation removal policy. "retain" keeps the
 * database on stack deletion and replacement, but not when the stack's own create rolls back (RetainExceptOnCreate).
 */
export function removalPolicyOf(removal: DataRetentionConfig['removal']): RemovalPolicy {
  return removal === 'retain' ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : removal === 'snapshot' ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY;
}

/**
 * RDS PostgreSQL in the isolated subnets: KMS-encrypted storage, generated credentials in Secrets Manager
 * (encrypted with the same key) rotated monthly by a hosted rotation Lambda, automated backups, and a security
 * group that admits 5432 from the cluster security group (and the rotation function) only.
 */
export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly secret: secretsmanager.ISecret;
  readonly securityGroup: ec2.SecurityGroup;
  /**
   * The DbiResourceId that `rds-db:connect` grants must name: the stack's own instance's, or, once
   * `npm run restore:db -- --switch` has put a restored instance in its place (renamed to this identifier), the
   * restored one's, which that command writes into the stack parameter RestoredDatabaseResourceId. CloudFormation
   * does not re-read the attribute of an instance renamed outside it; the parameter keeps its value on every later
   * `cdk deploy` (the CLI reuses previous parameter values).
   */
  readonly resourceId: string;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { config, retention } = props;
    if (config.maxAllocatedStorageGiB < config.allocatedStorageGiB) {
      throw new Error(`Database ${this.node.path}: maxAllocatedStorageGiB ${config.maxAllocatedStorageGiB} is below allocatedStorageGiB ${config.allocatedStorageGiB}`);
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'PostgreSQL: 5432 from the EKS cluster security group and the rotation function only',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(props.clientSecurityGroup, ec2.Port.tcp(POSTGRES_PORT), 'PostgreSQL from EKS pods and nodes');

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: POSTGRES_VERSION }),
      instanceType: new ec2.InstanceType(config.instanceType),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.securityGroup],
      port: POSTGRES_PORT,
      databaseName: props.databaseName,
      credentials: rds.Credentials.fromGeneratedSecret('postgres', { encryptionKey: props.key, excludeCharacters: EXCLUDE }),
      storageEncrypted: true,
      storageEncryptionKey: props.key,
      storageType: rds.StorageType.GP3,
      allocatedStorage: config.allocatedStorageGiB,
      maxAllocatedStorage: config.maxAllocatedStorageGiB,
      multiAz: config.multiAz,
      backupRetention: Duration.days(config.backupRetentionDays),
      preferredBackupWindow: DATABASE_BACKUP_WINDOW,
      deletionProtection: retention.deletionProtection,
      removalPolicy: removalPolicyOf(retention.removal),
      iamAuthentication: true,
      copyTagsToSnapshot: true,
      ...databaseMaintenance(this, props.key, props),
    });
    finishDatabaseMaintenance(this, this.instance);
    this.secret = this.instance.secret!;
    // A kept database (snapshot or retained) is useless without its credentials: keep the secret with it.
    // (`instance.secret` is the target attachment; the generated secret itself is the instance's child "Secret".)
    if (retention.removal !== 'destroy') (this.instance.node.findChild('Secret') as secretsmanager.Secret).applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);

    this.addRotation(props.vpc);
    this.acknowledgeFindings(config, retention);
    this.resourceId = restoredResourceId(this, this.instance);
  }

  /** Monthly rotation by a hosted rotation function, which alone besides the cluster reaches the port. */
  private addRotation(vpc: ec2.IVpc): void {
    const rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc,
      description: 'Hosted rotation function of the database secret',
      allowAllOutbound: true,
    });
    this.securityGroup.addIngressRule(rotationSecurityGroup, ec2.Port.tcp(POSTGRES_PORT), 'PostgreSQL from the secret rotation function');
    this.secret.addRotationSchedule('Rotation', {
      hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser({
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [rotationSecurityGroup],
        excludeCharacters: EXCLUDE,
      }),
      automaticallyAfter: Duration.days(30),
    });
  }

  private acknowledgeFindings(config: DatabaseConfig, retention: DataRetentionConfig): void {
    const nagReasons: Record<string, string> = {
      'AwsSolutions-RDS11': `The standard PostgreSQL port ${POSTGRES_PORT} is expected by clients; the database is reachable only from the cluster security group inside isolated subnets`,
    };
    if (!config.multiAz) nagReasons['AwsSolutions-RDS3'] = 'Single-AZ by configuration (database.multiAz=false) in this non-production environment';
    if (!retention.deletionProtection)
      nagReasons['AwsSolutions-RDS10'] = 'Deletion protection is off by configuration (dataRetention.deletionProtection=false) in this non-production environment';
    acknowledge(this.instance, nagReasons);
  }
}

/** `Fn::If` [restored, the parameter, the instance's own DbiResourceId]; the parameter and condition live at stack level. */
function restoredResourceId(scope: Construct, instance: rds.DatabaseInstance): string {
  const stack = Stack.of(scope);
  const restored = new CfnParameter(stack, RESTORED_DATABASE_PARAMETER, {
    type: 'String',
    default: '',
    allowedPattern: '^(db-[A-Z0-9]+)?$',
    constraintDescription: 'empty, or the DbiResourceId of the restored instance (db- and capital letters or digits)',
    description: "Set by npm run restore:db -- --switch: DbiResourceId of the restored database now serving under this stack's identifier (empty: the stack's own instance)",
  });
  const hasRestored = new CfnCondition(stack, 'HasRestoredDatabase', { expression: Fn.conditionNot(Fn.conditionEquals(restored.valueAsString, '')) });
  return Token.asString(Fn.conditionIf(hasRestored.logicalId, restored.valueAsString, instance.instanceResourceId));
}
