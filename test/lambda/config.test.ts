import { DEFAULT_MAX_UPLOAD_BYTES, parseConfig } from '../../lambda/src/config';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const base = { UPLOAD_BUCKET: 'platform-uploads-dev', UPLOAD_KMS_KEY_ID: KEY };

describe('parseConfig', () => {
  it('reads the bucket and key, defaults the size limit to 10 MiB, virtual-hosted addressing', () => {
    expect(parseConfig(base)).toEqual({ bucket: 'platform-uploads-dev', kmsKeyId: KEY, maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES, urlExpiresSeconds: 300, forcePathStyle: false });
    expect(DEFAULT_MAX_UPLOAD_BYTES).toBe(10 * 1024 * 1024);
  });

  it('honours MAX_UPLOAD_BYTES and switches to path-style when an endpoint override is set', () => {
    expect(parseConfig({ ...base, MAX_UPLOAD_BYTES: '1024', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:5000' })).toMatchObject({ maxUploadBytes: 1024, forcePathStyle: true });
    expect(parseConfig({ ...base, AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' }).forcePathStyle).toBe(true);
  });

  it('fails when the bucket or key is missing, naming both', () => {
    expect(() => parseConfig({})).toThrow(/UPLOAD_BUCKET must be an S3 bucket name, got ""; UPLOAD_KMS_KEY_ID must be a KMS key ARN/);
  });

  it.each([['0'], ['-5'], ['10MB'], ['1.5'], [String(6 * 1024 ** 3)]])('fails when MAX_UPLOAD_BYTES is %j', (value) => {
    expect(() => parseConfig({ ...base, MAX_UPLOAD_BYTES: value })).toThrow(/MAX_UPLOAD_BYTES must be an integer/);
  });

  it('fails when the KMS key is not an ARN, id or alias', () => {
    expect(() => parseConfig({ ...base, UPLOAD_KMS_KEY_ID: 'my key' })).toThrow(/UPLOAD_KMS_KEY_ID/);
  });
});
