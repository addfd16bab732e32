/**
 * Composition root of the upload API Lambda (API Gateway HTTP API, payload 2.0, Cognito JWT authorizer).
 * The environment is read here, once per cold start, and nowhere else:
 *   UPLOAD_BUCKET, UPLOAD_KMS_KEY_ID, MAX_UPLOAD_BYTES (default 10 MiB);
 *   AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (tests, emulators) are honoured by the SDK itself and switch on path-style.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createHandler } from './app';
import { parseConfig } from './config';
import { newUploadId } from './ids';
import { createRequestLogger } from './logger';
import { createS3Storage } from './s3-storage';
import { createUploads } from './uploads';

const config = parseConfig(process.env);

const client = new S3Client({
  forcePathStyle: config.forcePathStyle,
  // Default checksums would put a CRC of the (empty) presign-time body into presigned PUT URLs.
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

export const handler = createHandler({
  uploads: createUploads({
    storage: createS3Storage({ client, bucket: config.bucket, kmsKeyId: config.kmsKeyId }),
    config,
    newId: newUploadId,
    now: () => new Date(),
  }),
  log: createRequestLogger(),
});
