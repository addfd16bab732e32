/**
 * A workload's AWS identity: its own Pod Identity role, bound to its own ServiceAccount, allowed exactly its
 * declaration's storage prefix and its own database user (IAM authentication), nothing else.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { pascalCase, storagePrefix, type Workload } from '../../config';
import { acknowledge, nagArn } from '../checks/nag';
import { bindPodIdentity, podIdentityRole } from './pod-identity';

export interface WorkloadIdentityProps {
  readonly workload: Workload;
  readonly namespace: string;
  readonly clusterName: string;
  readonly bucket: s3.IBucket;
  readonly key: kms.IKey;
  /**
   * `rds-db:connect` ARN of the workload's own database user.
   * @default - no database login (the workload declares no database access)
   */
  readonly databaseConnectArn?: string;
}

export interface WorkloadIdentity {
  readonly role: iam.Role;
  /** Absent when the declaration grants nothing on AWS. */
  readonly policy?: iam.Policy;
}

/** The S3 actions of each access level on the workload's prefix. */
const OBJECT_ACTIONS = { read: ['s3:GetObject'], readWrite: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] } as const;

/**
 * Adds the role, its policy and the Pod Identity association directly under `scope` with IDs derived from the
 * workload's name (`WebPodRole`, `WebPodPolicy`, `WebPodIdentity` for `web`): the IDs the single-workload platform
 * used, so its association is updated in place (EKS allows one association per ServiceAccount: a replaced one
 * would collide with its predecessor).
 */
export function addWorkloadIdentity(scope: Construct, props: WorkloadIdentityProps): WorkloadIdentity {
  const { workload } = props;
  const id = pascalCase(workload.name);
  const role = podIdentityRole(scope, `${id}PodRole`, `ServiceAccount ${props.namespace}/${workload.name}`);
  const statements = [...storageStatements(props), ...databaseStatements(props)];
  let policy: iam.Policy | undefined;
  if (statements.length > 0) {
    policy = new iam.Policy(scope, `${id}PodPolicy`, { statements });
    role.attachInlinePolicy(policy);
    const prefix = storagePrefix(workload);
    if (prefix) {
      acknowledge(policy, {
        [`AwsSolutions-IAM5[Resource::${nagArn(props.bucket)}/${prefix}*]`]: `Objects under ${workload.name}'s own prefix "${prefix}" of the environment bucket (its declared storage grant)`,
      });
    }
  }
  bindPodIdentity(scope, `${id}PodIdentity`, props.clusterName, { namespace: props.namespace, name: workload.name }, role);
  return { role, policy };
}

function storageStatements(props: WorkloadIdentityProps): iam.PolicyStatement[] {
  const storage = props.workload.storage;
  const prefix = storagePrefix(props.workload);
  if (!storage || !prefix) return [];
  return [
    // Listing only under its prefix (HeadBucket-style checks list with that prefix).
    new iam.PolicyStatement({ sid: 'ListOwnPrefix', actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } }),
    new iam.PolicyStatement({ sid: 'OwnObjects', actions: [...OBJECT_ACTIONS[storage.access]], resources: [props.bucket.arnForObjects(`${prefix}*`)] }),
    new iam.PolicyStatement({ sid: 'Key', actions: storage.access === 'read' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [props.key.keyArn] }),
  ];
}

function databaseStatements(props: WorkloadIdentityProps): iam.PolicyStatement[] {
  if (!props.workload.database || !props.databaseConnectArn) return [];
  return [new iam.PolicyStatement({ sid: 'DatabaseLogin', actions: ['rds-db:connect'], resources: [props.databaseConnectArn] })];
}
