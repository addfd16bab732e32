import { S3Client } from '@aws-sdk/client-s3';
import { attachmentDisposition, createS3Storage } from '../../lambda/src/s3-storage';

// Presigning is local (no request is sent): these tests check what a real S3 would enforce.
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const client = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
});
const storage = createS3Storage({ client, bucket: 'platform-uploads-dev', kmsKeyId: KEY });

describe('S3 storage adapter', () => {
  it('presigns a PUT that signs content-type, content-length and the SSE-KMS headers', async () => {
    const { url, headers } = await storage.presignUpload({ key: 'users/u1/AAAAAAAAAAAAAAAAAAAAAA/a b.txt', contentType: 'text/plain', size: 42, expiresInSeconds: 300 });
    const parsed = new URL(url);
    expect(parsed.hostname).toBe('platform-uploads-dev.s3.eu-west-1.amazonaws.com');
    expect(parsed.pathname).toBe('/users/u1/AAAAAAAAAAAAAAAAAAAAAA/a%20b.txt');
    expect(parsed.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(parsed.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual([
      'content-length',
      'content-type',
      'host',
      'x-amz-server-side-encryption',
      'x-amz-server-side-encryption-aws-kms-key-id',
    ]);
    // SSE must travel as headers (S3 ignores it in the query string), and no checksum of an empty body may be baked in.
    expect([...parsed.searchParams.keys()].filter((name) => /server-side|checksum/i.test(name))).toEqual([]);
    expect(headers).toEqual({ 'content-type': 'text/plain', 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': KEY });
  });

  it('presigns a GET served as an attachment', async () => {
    const url = new URL(await storage.presignDownload({ key: 'users/u1/AAAAAAAAAAAAAAAAAAAAAA/é.txt', fileName: 'é.txt', expiresInSeconds: 60 }));
    expect(url.searchParams.get('response-content-disposition')).toBe(`attachment; filename="_.txt"; filename*=UTF-8''%C3%A9.txt`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
  });

  it('replaces quotes and backslashes in the ASCII fallback name of Content-Disposition', () => {
    expect(attachmentDisposition('a"b\\c.txt')).toBe(`attachment; filename="a_b_c.txt"; filename*=UTF-8''a%22b%5Cc.txt`);
  });
});
