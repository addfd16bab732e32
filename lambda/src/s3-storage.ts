import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { InvalidContinuationTokenError, type Storage } from './storage';

export interface S3StorageOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** KMS key (ARN) every upload must be encrypted with. */
  readonly kmsKeyId: string;
}

/** RFC 6266/5987 attachment disposition, so a download never renders inline in the API's or the bucket's origin. */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * S3 adapter. Presigned PUTs sign `content-type`, `content-length` and the SSE-KMS headers: S3 rejects an
 * upload whose type, size or encryption differs from what was validated (the SSE headers stay headers —
 * S3 ignores them as query parameters — so the client must send them; they are returned to it).
 * Build the client with `requestChecksumCalculation: 'WHEN_REQUIRED'`, or presigned PUTs carry a checksum of an empty body.
 */
export function createS3Storage({ client, bucket, kmsKeyId }: S3StorageOptions): Storage {
  return {
    async presignUpload({ key, contentType, size, expiresInSeconds }) {
      const command = new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        ContentType: contentType,
        ContentLength: size,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: kmsKeyId,
      });
      const url = await getSignedUrl(client, command, {
        expiresIn: expiresInSeconds,
        signableHeaders: new Set(['content-type', 'content-length']),
        unhoistableHeaders: new Set(['x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id']),
      });
      return {
        url,
        headers: {
          'content-type': contentType,
          'x-amz-server-side-encryption': 'aws:kms',
          'x-amz-server-side-encryption-aws-kms-key-id': kmsKeyId,
        },
      };
    },

    async presignDownload({ key, fileName, expiresInSeconds }) {
      const command = new GetObjectCommand({ Bucket: bucket, Key: key, ResponseContentDisposition: attachmentDisposition(fileName) });
      return getSignedUrl(client, command, { expiresIn: expiresInSeconds });
    },

    async list(prefix, { limit, continuationToken }) {
      try {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: limit, ContinuationToken: continuationToken }));
        return {
          objects: (page.Contents ?? []).map((object) => ({
            key: object.Key ?? '',
            size: object.Size ?? 0,
            lastModified: object.LastModified ?? new Date(0),
          })),
          continuationToken: page.IsTruncated ? page.NextContinuationToken : undefined,
        };
      } catch (error) {
        if (continuationToken !== undefined && (error as { name?: string }).name === 'InvalidArgument') throw new InvalidContinuationTokenError();
        throw error;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}
