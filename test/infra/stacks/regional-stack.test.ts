import { Match } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformConfig } from '../../../config';
import { platform } from '../helpers';

const primary = platform().template('platform-shared-eu-west-1');
const secondary = platform().template('platform-shared-eu-central-1');

describe('regional shared stacks', () => {
  test.each([
    ['eu-west-1', primary],
    ['eu-central-1', secondary],
  ] as const)('%s: one DNS-validated certificate in the configured hosted zone', (region, template) => {
    template.resourceCountIs('AWS::CertificateManager::Certificate', 1);
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: platformConfig.certificates[region].domainName,
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: platformConfig.certificates[region].domainName, HostedZoneId: platformConfig.dns.hostedZoneId }],
    });
  });

  test.each([primary, secondary].flatMap((template) => platformConfig.images.map((image) => [image.repositoryName, template] as const)))(
    'ECR repository %s: scan on push, immutable tags, KMS, lifecycle rules',
    (repositoryName, template) => {
      template.hasResourceProperties('AWS::ECR::Repository', {
        RepositoryName: repositoryName,
        ImageScanningConfiguration: { ScanOnPush: true },
        ImageTagMutability: 'IMMUTABLE',
        EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: Match.anyValue() },
        LifecyclePolicy: { LifecyclePolicyText: Match.stringLikeRegexp('untagged') },
      });
      template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    },
  );

  test('the primary region replicates images to the prod region; the other region does not replicate', () => {
    primary.hasResourceProperties('AWS::ECR::ReplicationConfiguration', {
      ReplicationConfiguration: {
        Rules: [
          {
            Destinations: [{ Region: 'eu-central-1', RegistryId: { Ref: 'AWS::AccountId' } }],
            RepositoryFilters: platformConfig.images.map((image) => ({ Filter: image.repositoryName, FilterType: 'PREFIX_MATCH' })),
          },
        ],
      },
    });
    secondary.resourceCountIs('AWS::ECR::ReplicationConfiguration', 0);
  });

  test('the prod region keeps its repository on stack deletion', () => {
    secondary.hasResource('AWS::ECR::Repository', { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
  });
});

describe('stack order: replica regions first', () => {
  // ECR replication creates a missing destination repository itself, so a replica region's stack that creates the
  // same repository afterwards fails with "already exists" (https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html:
  // "If the destination repository doesn't exist, Amazon ECR creates it"). The source region's stack, which turns
  // replication on, must therefore depend on every replica region's shared stack.
  const manifest = JSON.parse(readFileSync(join(platform().dir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { dependencies?: string[] }> };
  const dependsOn = (stack: string) => manifest.artifacts[stack].dependencies ?? [];

  test('the primary shared stack (with the replication configuration) depends on the replica region shared stack', () => {
    expect(dependsOn('platform-shared-eu-west-1')).toContain('platform-shared-eu-central-1');
    expect(dependsOn('platform-shared-eu-central-1')).not.toContain('platform-shared-eu-west-1');
  });

  test('every replication destination region has its shared stack ordered before the source', () => {
    const replication = primary.findResources('AWS::ECR::ReplicationConfiguration');
    const destinations = Object.values(replication).flatMap((r: any) =>
      r.Properties.ReplicationConfiguration.Rules.flatMap((rule: any) => rule.Destinations.map((d: any) => d.Region)),
    );
    expect(destinations.length).toBeGreaterThan(0);
    for (const region of destinations) expect(dependsOn('platform-shared-eu-west-1')).toContain(`platform-shared-${region}`);
  });
});
