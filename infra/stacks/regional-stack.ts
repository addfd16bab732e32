import { Duration, ReferenceStrength, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { type ImageConfig, type PlatformConfig, RELEASE_TAG_PREFIX, repositoryConstructId } from '../../config';
import { createPlatformKey } from '../constructs/keys';
import { RegionalOperations } from '../constructs/regional-operations';

export interface RegionalStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** Regions whose repository receives a replica of every image pushed here. Empty outside the primary region. */
  readonly replicateTo: readonly string[];
  /**
   * What the stack holds. "all": the single-account layout (certificate, operations settings, image repository).
   * Multi-account: "images" in the shared-services account (the repository, pulled by the environment accounts);
   * "environment" in an environment account (the certificate an ALB there can use, the account's operations settings).
   * @default "all"
   */
  readonly contents?: 'all' | 'images' | 'environment';
  /**
   * Accounts whose principals may pull from the repository (its repository policy): the accounts of the environments
   * in this region, in the multi-account layout. Same-account pulls need no repository policy.
   * @default - none (no repository policy)
   */
  readonly pullAccounts?: readonly string[];
  /**
   * Create the certificate's DNS validation records in `config.dns` (CloudFormation can only write them into a
   * hosted zone of the stack's own account). Without it, CloudFormation waits until the validation CNAME shown in the
   * stack events and the ACM console is added to the zone.
   * @default true
   */
  readonly validateInZone?: boolean;
}

/**
 * What every environment of one region shares: the region's ACM certificate (DNS-validated in the configured
 * hosted zone, no lookup) and the region's ECR repository of the web image. CI pushes to the primary region's
 * repository; ECR replicates each image into the same-named, identically configured repository of the other
 * regions (created here, so replicas are KMS-encrypted, immutable and scanned too).
 */
export class RegionalStack extends Stack {
  /** Absent in the shared-services account of the multi-account layout (an ALB can only use its own account's). */
  readonly certificate?: acm.Certificate;
  /** One per declared image, by image name. Empty in an environment account of the multi-account layout (the repositories are the shared account's). */
  readonly repositories: ReadonlyMap<string, ecr.Repository> = new Map();
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, props);
    const { config } = props;
    const region = this.region;
    const contents = props.contents ?? 'all';
    const retainData = config.environments.some((e) => e.region === region && e.production);

    const uses = { all: 'image repository, RDS enhanced monitoring logs', images: 'image repository', environment: 'RDS enhanced monitoring logs' }[contents];
    this.key = createPlatformKey(this, 'Key', `${config.project} shared ${region}: ${uses}`);
    if (contents !== 'images') {
      this.certificate = this.addEnvironmentServices(id, config, props.validateInZone ?? true);
    }
    if (contents !== 'environment') {
      this.repositories = new Map(config.images.map((image) => [image.name, this.addRepository(image, retainData, props.pullAccounts ?? [])]));
      this.addReplication(config, props.replicateTo);
    }
  }

  /** The region's certificate and the account-wide operations settings (resource tags on telemetry, RDS OS metrics). */
  private addEnvironmentServices(id: string, config: PlatformConfig, validateInZone: boolean): acm.Certificate {
    const region = this.region;
    const certificateConfig = config.certificates[region];
    if (!certificateConfig) {
      throw new Error(`RegionalStack ${id}: region "${region}" has no entry in certificates (have: ${Object.keys(config.certificates).join(', ')})`);
    }
    new RegionalOperations(this, 'Operations', { key: this.key });

    const zone = validateInZone ? route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: config.dns.hostedZoneId, zoneName: config.dns.zoneName }) : undefined;
    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: certificateConfig.domainName,
      subjectAlternativeNames: certificateConfig.subjectAlternativeNames ? [...certificateConfig.subjectAlternativeNames] : undefined,
      validation: acm.CertificateValidation.fromDns(zone),
      certificateName: `${config.project}-${region}`,
    });
    // A changed name list replaces the certificate (new ARN). With an Export the consuming environment stacks would
    // block that update ("export ... in use"); a weak reference (Fn::GetStackOutput) lets this stack replace it and
    // the environment stacks pick the new ARN up on their next deploy (test/infra/cross-stack-references.test.ts).
    certificate.applyCrossStackReferenceStrength(ReferenceStrength.WEAK);
    return certificate;
  }

  private addRepository(image: ImageConfig, retainData: boolean, pullAccounts: readonly string[]): ecr.Repository {
    const repository = new ecr.Repository(this, repositoryConstructId(image), {
      repositoryName: image.repositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.KMS,
      encryptionKey: this.key,
      // Fixed name: a repository left behind by a rolled-back first create would block the retry.
      removalPolicy: retainData ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY,
      emptyOnDelete: false,
      lifecycleRules: imageLifecycleRules(),
    });
    if (pullAccounts.length > 0) {
      // Cross-account pulls need both sides: this policy, and the puller's own IAM permissions (the node role's
      // AmazonEC2ContainerRegistryReadOnly; the deploy role's image inspection). Replicas get the same policy from
      // their own region's stack: ECR replication copies images, not repository policies.
      repository.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'EnvironmentAccountsPull',
          principals: pullAccounts.map((account) => new iam.AccountPrincipal(account)),
          actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability', 'ecr:DescribeImages', 'ecr:DescribeImageScanFindings'],
        }),
      );
    }
    return repository;
  }

  /** Per account and region (the registry), so it lives in the stack of the source repositories' region: every declared image's repository. */
  private addReplication(config: PlatformConfig, replicateTo: readonly string[]): void {
    if (replicateTo.length === 0) return;
    new ecr.CfnReplicationConfiguration(this, 'Replication', {
      replicationConfiguration: {
        rules: [
          {
            destinations: replicateTo.map((destination) => ({ region: destination, registryId: this.account })),
            repositoryFilters: config.images.map((image) => ({ filter: image.repositoryName, filterType: 'PREFIX_MATCH' })),
          },
        ],
      },
    });
  }
}

/** Released images kept however many builds follow them (ECR has no "keep" action: a count no repository reaches). */
export const KEEP_RELEASES = 10000;
/** Builds (commit-SHA tags) kept per region. */
export const KEEP_BUILDS = 100;

/**
 * ECR lifecycle rules. An image whose tags match a rule's selection can only be expired by that rule, never by a
 * lower-priority one (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html, "How lifecycle
 * policies work"). Rule 1 selects released images (tag prefix RELEASE_TAG_PREFIX) and keeps them all, so the count
 * of rule 3 — which every development build replicated into the prod region feeds — can never expire a release.
 */
export function imageLifecycleRules(): ecr.LifecycleRule[] {
  return [
    { rulePriority: 1, description: 'Keep released images', tagStatus: ecr.TagStatus.TAGGED, tagPatternList: [`${RELEASE_TAG_PREFIX}*`], maxImageCount: KEEP_RELEASES },
    { rulePriority: 2, description: 'Drop untagged images after 7 days', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(7) },
    { rulePriority: 3, description: `Keep the ${KEEP_BUILDS} most recent builds`, tagStatus: ecr.TagStatus.ANY, maxImageCount: KEEP_BUILDS },
  ];
}
