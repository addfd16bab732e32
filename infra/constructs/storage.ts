import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../checks/nag';

export interface StorageProps {
  readonly key: kms.IKey;
  /** Removal policy of both buckets: the environment stack's (RETAIN unless the data may be destroyed). */
  readonly removal: RemovalPolicy;
  /**
   * Origins whose browser scripts may use the upload API's presigned URLs (PUT an upload, GET a download), e.g.
   * `https://<hostname>`.
   */
  readonly corsOrigins: readonly string[];
}

/** Headers a browser sends with a presigned PUT: the signed type and the SSE-KMS headers the API returns to it. */
export const PRESIGNED_PUT_HEADERS = ['content-type', 'x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id'];

/**
 * The application's bucket (uploads of the web app and of the serverless API): KMS with the environment key and
 * S3 Bucket Keys, versioning, TLS-only, all public access blocked, server access logs into a second bucket.
 * Destroyable buckets (removal DESTROY: an environment whose data may go) are emptied when the stack is deleted
 * (aws-cdk-lib's auto-delete custom resource, which first denies every s3:PutObject, so access logs still being
 * delivered cannot refill them): otherwise CloudFormation cannot delete a versioned bucket that ever held an object
 * and the teardown ends in DELETE_FAILED. Kept buckets never get it.
 */
export class Storage extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const removalPolicy = props.removal;
    const autoDeleteObjects = removalPolicy === RemovalPolicy.DESTROY;

    // Server access log delivery supports SSE-S3 only, not SSE-KMS.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      autoDeleteObjects,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    acknowledge(this.accessLogs, {
      'AwsSolutions-S1': 'This is the server access log bucket itself; logging it into itself would loop',
    });

    this.bucket = new s3.Bucket(this, 'Data', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'data/',
      removalPolicy,
      autoDeleteObjects,
      // Presigned URLs are called by the browser app straight from its page: CORS for its origin, those methods only
      // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html).
      cors: [
        {
          id: 'browser-presigned-urls',
          allowedOrigins: [...props.corsOrigins],
          allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          allowedHeaders: PRESIGNED_PUT_HEADERS,
          exposedHeaders: ['ETag'],
          maxAge: 3600,
        },
      ],
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(90) },
      ],
    });
  }
}
