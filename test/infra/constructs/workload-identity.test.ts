/**
 * addWorkloadIdentity on its own (infra/constructs/workload-identity.ts): what the shipped sample does not show. A
 * workload that declares neither storage nor database gets a role and its association but no policy at all; a
 * declared database access without a login ARN grants no login.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { WorkerWorkload } from '../../../config';
import { addWorkloadIdentity } from '../../../infra/constructs/workload-identity';

const worker = (extra: Partial<WorkerWorkload> = {}): WorkerWorkload => ({ kind: 'worker', name: 'mailer', image: 'app', replicas: 1, cpuMillis: 50, memoryMiB: 64, ...extra });

function synth(workload: WorkerWorkload, databaseConnectArn?: string) {
  const stack = new Stack(new App(), 'Test');
  const identity = addWorkloadIdentity(stack, {
    workload,
    namespace: 'apps',
    clusterName: 'cluster',
    bucket: new s3.Bucket(stack, 'Bucket'),
    key: new kms.Key(stack, 'Key'),
    databaseConnectArn,
  });
  return { identity, template: Template.fromStack(stack) };
}

test('a workload with neither storage nor database gets its role and association, and no policy', () => {
  const { identity, template } = synth(worker());
  expect(identity.policy).toBeUndefined();
  template.resourceCountIs('AWS::IAM::Policy', 0);
  template.resourceCountIs('AWS::IAM::Role', 1);
  template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'apps', ServiceAccount: 'mailer', ClusterName: 'cluster' });
  expect(Object.keys(template.findResources('AWS::IAM::Role'))[0]).toMatch(/^MailerPodRole/);
});

test('declared database access without a login ARN grants no login (and so no policy)', () => {
  const { identity, template } = synth(worker({ database: { ownSchema: true } }));
  expect(identity.policy).toBeUndefined();
  template.resourceCountIs('AWS::IAM::Policy', 0);
});

test('with a login ARN, database access alone grants rds-db:connect on exactly that user', () => {
  const arn = 'arn:aws:rds-db:eu-west-1:111111111111:dbuser:db-ABC/mailer';
  const { template } = synth(worker({ database: { ownSchema: true } }), arn);
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: { Statement: [{ Sid: 'DatabaseLogin', Effect: 'Allow', Action: 'rds-db:connect', Resource: arn }] },
  });
});
