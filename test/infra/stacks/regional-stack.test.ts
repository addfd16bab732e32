import { Match } from 'aws-cdk-lib/assertions';
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

  test.each([primary, secondary])('ECR repository: scan on push, immutable tags, KMS, lifecycle rules', (template) => {
    template.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: platformConfig.imageRepositoryName,
      ImageScanningConfiguration: { ScanOnPush: true },
      ImageTagMutability: 'IMMUTABLE',
      EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: Match.anyValue() },
      LifecyclePolicy: { LifecyclePolicyText: Match.stringLikeRegexp('untagged') },
    });
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('the primary region replicates images to the prod region; the other region does not replicate', () => {
    primary.hasResourceProperties('AWS::ECR::ReplicationConfiguration', {
      ReplicationConfiguration: {
        Rules: [{ Destinations: [{ Region: 'eu-central-1', RegistryId: { Ref: 'AWS::AccountId' } }], RepositoryFilters: [{ Filter: platformConfig.imageRepositoryName, FilterType: 'PREFIX_MATCH' }] }],
      },
    });
    secondary.resourceCountIs('AWS::ECR::ReplicationConfiguration', 0);
  });

  test('the prod region keeps its repository on stack deletion', () => {
    secondary.hasResource('AWS::ECR::Repository', { DeletionPolicy: 'Retain' });
  });
});
