/**
 * Replacement hazards. CloudFormation replaces a resource (creates a new one, then deletes the old) when its logical
 * ID changes or when an update touches a property marked "Update requires: Replacement".
 * - The database: a replacement is a new, empty instance. Every property that would replace it is pinned here, so a
 *   change to one fails this test and needs a deliberate migration (snapshot, restore, cut over) instead.
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbinstance.html
 * - The node group: a replacement needs a new name while the old group still exists, so a fixed NodegroupName
 *   makes any replacing change (instance types, AMI type, subnets) fail.
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-eks-nodegroup.html
 */
import { environmentStackName, platformConfig, WORKLOAD_DATABASE_NAME } from '../../config';
import { DATABASE_LOGICAL_ID } from '../../infra/stacks/environment-stack';
import { platform, resourcesOfType } from './helpers';

/** AWS::RDS::DBInstance properties whose update requires replacement (CloudFormation template reference). */
const REPLACING_PROPERTIES = [
  'AvailabilityZone',
  'CharacterSetName',
  'CustomIAMInstanceProfile',
  'DBClusterIdentifier',
  'DBInstanceIdentifier',
  'DBName',
  'DBSnapshotIdentifier',
  'DBSubnetGroupName',
  'Engine',
  'KmsKeyId',
  'MasterUsername',
  'NcharCharacterSetName',
  'SourceDBInstanceIdentifier',
  'SourceRegion',
  'StorageEncrypted',
  'Timezone',
] as const;

const stacks = platformConfig.environments.map((env) => [env.name, environmentStackName(platformConfig.project, env.name)] as const);

describe('the database is never replaced silently', () => {
  test.each(stacks)('%s: logical ID and every replacing property are the reviewed ones', (_name, stack) => {
    const json = platform().json(stack);
    const instances = resourcesOfType(json, 'AWS::RDS::DBInstance');
    expect(instances.map(([id]) => id)).toEqual([DATABASE_LOGICAL_ID]);
    expect(DATABASE_LOGICAL_ID).toBe('Database');
    const [[, instance]] = instances;
    const replacing = Object.fromEntries(REPLACING_PROPERTIES.filter((p) => instance.Properties[p] !== undefined).map((p) => [p, instance.Properties[p]]));
    expect(replacing).toEqual({
      DBInstanceIdentifier: `${platformConfig.project}-${_name}`,
      DBName: WORKLOAD_DATABASE_NAME,
      DBSubnetGroupName: { Ref: 'DatabaseInstanceSubnetGroupDE121BB6' },
      Engine: 'postgres',
      KmsKeyId: { 'Fn::GetAtt': ['Key961B73FD', 'Arn'] },
      MasterUsername: 'postgres',
      StorageEncrypted: true,
    });
    // The subnet group and key it points at keep their logical IDs too (a new one is a new value above).
    expect(json.Resources.DatabaseInstanceSubnetGroupDE121BB6.Type).toBe('AWS::RDS::DBSubnetGroup');
    expect(json.Resources.DatabaseInstanceSubnetGroupDE121BB6.Properties.DBSubnetGroupName).toBeUndefined();
    expect(json.Resources.Key961B73FD.Type).toBe('AWS::KMS::Key');
  });

  test.each(stacks)('%s: a replacement, if one is ever forced, keeps a snapshot or the old instance (never a plain delete outside dev)', (name, stack) => {
    const env = platformConfig.environments.find((e) => e.name === name)!;
    const [[, instance]] = resourcesOfType(platform().json(stack), 'AWS::RDS::DBInstance');
    if (env.dataRetention.removal !== 'destroy') expect(['Snapshot', 'Retain']).toContain(instance.UpdateReplacePolicy);
  });
});

describe('the node group can be replaced', () => {
  test.each(stacks)('%s: no fixed NodegroupName (CloudFormation generates one per replacement)', (_name, stack) => {
    const nodegroups = resourcesOfType(platform().json(stack), 'AWS::EKS::Nodegroup');
    expect(nodegroups).toHaveLength(1);
    expect(nodegroups[0][1].Properties.NodegroupName).toBeUndefined();
  });
});
