/**
 * Integration: the real handler (composition root included) against moto_server, started here on a free
 * loopback port. Bytes go up and down through the presigned URLs with node's fetch, like a browser would.
 */
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { createHandler } from '../../lambda/src/app';
import { startMoto, type Moto } from '../support/moto';
import { apiEvent } from './support/events';

jest.setTimeout(20_000);

const BUCKET = 'integration-uploads';
const ALICE = '11111111-aaaa-4bbb-8ccc-000000000001';
const BOB = '22222222-aaaa-4bbb-8ccc-000000000002';

let moto: Moto | undefined;
let endpoint = '';
/** The handler's structured log lines (stdout), captured to check what they contain. */
const logLines: string[] = [];
let kmsKeyArn = '';
let s3: S3Client;
let handler: ReturnType<typeof createHandler>;
const savedEnv = { ...process.env };

/** KMS CreateKey straight over HTTP (moto does not check signatures): saves a client-kms dependency. */
async function createKmsKey(): Promise<string> {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.CreateKey',
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify({ Description: 'uploads integration test' }),
  });
  if (!response.ok) throw new Error(`KMS CreateKey failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn;
}

async function call(event: ReturnType<typeof apiEvent>) {
  const response = await handler(event, { awsRequestId: 'integration' });
  return { status: response.statusCode, json: response.body ? JSON.parse(response.body) : undefined };
}

beforeAll(async () => {
  moto = await startMoto(15_000);
  endpoint = moto.endpoint;
  kmsKeyArn = await createKmsKey();

  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    UPLOAD_BUCKET: BUCKET,
    UPLOAD_KMS_KEY_ID: kmsKeyArn,
    MAX_UPLOAD_BYTES: '1048576',
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  s3 = new S3Client({ forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const write = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
  jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && chunk.startsWith('{"level"')) {
      logLines.push(chunk);
      return true;
    }
    return write(chunk, ...rest);
  }) as typeof process.stdout.write);
  // The composition root reads the environment at import, as a cold start does.
  handler = (await import('../../lambda/src/index')).handler;
});

afterAll(async () => {
  jest.restoreAllMocks();
  s3?.destroy();
  process.env = savedEnv;
  await moto?.stop();
});

describe('upload API against moto_server', () => {
  const content = Buffer.from('hello, uploads — ünïcode bytes\n');
  let id = '';
  let key = '';

  it("issues a presigned PUT and accepts the bytes, encrypted with the bucket's KMS key", async () => {
    const created = await call(apiEvent('POST /uploads', { sub: ALICE, body: { fileName: 'hello world.txt', contentType: 'text/plain', size: content.length } }));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      method: 'PUT',
      fileName: 'hello world.txt',
      headers: { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': kmsKeyArn },
    });
    ({ id, key } = created.json);
    expect(key).toBe(`users/${ALICE}/${id}/hello world.txt`);

    const put = await fetch(created.json.uploadUrl, { method: 'PUT', headers: created.json.headers, body: content });
    expect(put.status).toBe(200);

    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect([head.ServerSideEncryption, head.SSEKMSKeyId, head.ContentType, head.ContentLength]).toEqual(['aws:kms', kmsKeyArn, 'text/plain', content.length]);
  });

  it('lists the upload for its owner', async () => {
    const listed = await call(apiEvent('GET /uploads', { sub: ALICE }));
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual({ items: [{ id, fileName: 'hello world.txt', size: content.length, lastModified: expect.any(String) }], nextCursor: null });
  });

  it('gives the owner a download URL that returns the same bytes as an attachment', async () => {
    const got = await call(apiEvent('GET /uploads/{id}', { sub: ALICE, pathParameters: { id } }));
    expect(got.status).toBe(200);
    const download = await fetch(got.json.downloadUrl);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(content)).toBe(true);
    // moto ignores response-content-disposition; S3 serves the object as this attachment.
    expect(new URL(got.json.downloadUrl).searchParams.get('response-content-disposition')).toMatch(/^attachment; filename="hello world.txt"/);
  });

  it("fails when a second user lists, downloads or deletes the first user's file", async () => {
    expect(await call(apiEvent('GET /uploads', { sub: BOB }))).toEqual({ status: 200, json: { items: [], nextCursor: null } });
    const got = await call(apiEvent('GET /uploads/{id}', { sub: BOB, pathParameters: { id } }));
    expect([got.status, got.json.error.code]).toEqual([404, 'not_found']);
    expect((await call(apiEvent('DELETE /uploads/{id}', { sub: BOB, pathParameters: { id } }))).status).toBe(404);
    expect((await call(apiEvent('GET /uploads/{id}', { sub: `../${ALICE}`, pathParameters: { id } }))).status).toBe(403);
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).resolves.toBeDefined();
  });

  it('paginates with the opaque cursor over real S3 continuation tokens', async () => {
    const extra = ['CCCCCCCCCCCCCCCCCCCCCC', 'DDDDDDDDDDDDDDDDDDDDDD'];
    for (const other of extra) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `users/${ALICE}/${other}/x.csv`, Body: 'a,b\n' }));
    const first = await call(apiEvent('GET /uploads', { sub: ALICE, query: { limit: '2' } }));
    expect(first.json.items).toHaveLength(2);
    expect(first.json.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await call(apiEvent('GET /uploads', { sub: ALICE, query: { limit: '2', cursor: first.json.nextCursor } }));
    expect(second.json.items).toHaveLength(1);
    expect(second.json.nextCursor).toBeNull();
    const ids = [...first.json.items, ...second.json.items].map((item: { id: string }) => item.id).sort();
    expect(ids).toEqual([...extra, id].sort());
    for (const other of extra) expect((await call(apiEvent('DELETE /uploads/{id}', { sub: ALICE, pathParameters: { id: other } }))).status).toBe(204);
  });

  it('deletes the upload for its owner, after which it is gone', async () => {
    expect(await call(apiEvent('DELETE /uploads/{id}', { sub: ALICE, pathParameters: { id } }))).toEqual({ status: 204, json: undefined });
    expect(await call(apiEvent('GET /uploads', { sub: ALICE }))).toEqual({ status: 200, json: { items: [], nextCursor: null } });
    expect((await call(apiEvent('GET /uploads/{id}', { sub: ALICE, pathParameters: { id } }))).status).toBe(404);
  });

  it('logged one JSON line per request, without URLs, signatures, tokens or raw user ids', () => {
    expect(logLines.length).toBeGreaterThanOrEqual(14);
    const entries = logLines.map((line) => JSON.parse(line));
    expect(entries.every((entry) => typeof entry.requestId === 'string' && typeof entry.status === 'number' && typeof entry.durationMs === 'number')).toBe(true);
    const all = logLines.join('');
    for (const secret of ['http', 'X-Amz-', 'Bearer', 'secret-token', ALICE, BOB, kmsKeyArn]) expect(all).not.toContain(secret);
  });
});
