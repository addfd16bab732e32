import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../../config';
import { createPlatformKey } from '../constructs/keys';
import { RegionalOperations } from '../constructs/regional-operations';

export interface RegionalStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** Regions whose repository receives a replica of every image pushed here. Empty outside the primary region. */
  readonly replicateTo: readonly string[];
}

/**
 * What every environment of one region shares: the region's ACM certificate (DNS-validated in the configured
 * hosted zone, no lookup) and the region's ECR repository of the web image. CI pushes to the primary region's
 * repository; ECR replicates each image into the same-named, identically configured repository of the other
 * regions (created here, so replicas are KMS-encrypted, immutable and scanned too).
 */
export class RegionalStack extends Stack {
  readonly certificate: acm.Certificate;
  readonly repository: ecr.Repository;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, props);
    const { config } = props;
    const region = this.region;
    const certificateConfig = config.certificates[region];
    if (!certificateConfig) {
      throw new Error(`RegionalStack ${id}: region "${region}" has no entry in certificates (have: ${Object.keys(config.certificates).join(', ')})`);
    }
    const retainData = config.environments.some((e) => e.region === region && e.production);

    this.key = createPlatformKey(this, 'Key', `${config.project} shared ${region}: image repository, RDS enhanced monitoring logs`);
    new RegionalOperations(this, 'Operations', { key: this.key });

    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: config.dns.hostedZoneId,
      zoneName: config.dns.zoneName,
    });
    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: certificateConfig.domainName,
      subjectAlternativeNames: certificateConfig.subjectAlternativeNames ? [...certificateConfig.subjectAlternativeNames] : undefined,
      validation: acm.CertificateValidation.fromDns(zone),
      certificateName: `${config.project}-${region}`,
    });

    this.repository = new ecr.Repository(this, 'WebRepository', {
      repositoryName: config.imageRepositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.KMS,
      encryptionKey: this.key,
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      emptyOnDelete: false,
      lifecycleRules: [
        { rulePriority: 1, description: 'Drop untagged images after 7 days', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(7) },
        { rulePriority: 2, description: 'Keep the 100 most recent images', tagStatus: ecr.TagStatus.ANY, maxImageCount: 100 },
      ],
    });

    if (props.replicateTo.length > 0) {
      // Per account and region (the registry), so it lives in the stack of the source repository's region.
      new ecr.CfnReplicationConfiguration(this, 'Replication', {
        replicationConfiguration: {
          rules: [
            {
              destinations: props.replicateTo.map((destination) => ({ region: destination, registryId: this.account })),
              repositoryFilters: [{ filter: config.imageRepositoryName, filterType: 'PREFIX_MATCH' }],
            },
          ],
        },
      });
    }
  }
}
